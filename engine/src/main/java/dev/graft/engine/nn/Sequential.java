package dev.graft.engine.nn;

import dev.graft.engine.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Modules applied in order; children are named "0", "1", … as in PyTorch, so their keys match checkpoints. */
public final class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... layers) {
        for (Module m : layers) {
            add(m);
        }
    }

    /** Appends {@code layer} under the next index; returns this. */
    public Sequential add(Module layer) {
        layers.add(registerModule(Integer.toString(layers.size()), layer));
        return this;
    }

    public Module get(int index) {
        if (index < 0 || index >= layers.size()) {
            throw new IllegalArgumentException("Sequential: index " + index + " out of range for " + layers.size()
                    + " layers");
        }
        return layers.get(index);
    }

    public int size() {
        return layers.size();
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor out = x;
        for (Module m : layers) {
            out = m.forward(out);
        }
        return out;
    }
}
