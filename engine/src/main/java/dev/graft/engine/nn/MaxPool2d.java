package dev.graft.engine.nn;

import dev.graft.engine.Functional;
import dev.graft.engine.Tensor;

/** Max pooling over square windows with implicit -inf padding. */
public final class MaxPool2d extends Module {
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;

    /** Stride equal to the kernel, no padding (PyTorch's defaults). */
    public MaxPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    public MaxPool2d(int kernelSize, int stride, int padding) {
        Pooling.check("MaxPool2d", kernelSize, stride, padding);
        this.kernel = new int[] {kernelSize, kernelSize};
        this.stride = new int[] {stride, stride};
        this.padding = new int[] {padding, padding};
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.maxPool2d(x, kernel, stride, padding);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernel[0] + ", stride=" + stride[0] + ", padding=" + padding[0];
    }
}
