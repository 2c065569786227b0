package dev.graft.engine.nn;

import dev.graft.engine.Tensor;

/** Returns its input; stands in for a removed layer (a dropped head, a block without downsampling). */
public final class Identity extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x;
    }
}
