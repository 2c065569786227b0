package dev.graft.engine.nn;

import dev.graft.engine.Functional;
import dev.graft.engine.Tensor;

/** Average pooling to a fixed output size whatever the input size; ResNets pool to 1×1 before the head. */
public final class AdaptiveAvgPool2d extends Module {
    private final int outH;
    private final int outW;

    public AdaptiveAvgPool2d(int outputSize) {
        this(outputSize, outputSize);
    }

    public AdaptiveAvgPool2d(int outH, int outW) {
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d: output size must be >= 1, got [" + outH + ", "
                    + outW + "]");
        }
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.adaptiveAvgPool2d(x, outH, outW);
    }

    @Override
    protected String extraRepr() {
        return "output_size=[" + outH + ", " + outW + "]";
    }
}
