package dev.graft.engine.nn;

import dev.graft.engine.Tensor;

/** Flattens dimensions {@code startDim} to the last into one; the default 1 keeps the batch dimension. */
public final class Flatten extends Module {
    private final int startDim;

    public Flatten() {
        this(1);
    }

    public Flatten(int startDim) {
        this.startDim = startDim;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.flatten(startDim);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim;
    }
}
