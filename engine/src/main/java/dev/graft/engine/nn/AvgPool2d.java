package dev.graft.engine.nn;

import dev.graft.engine.Functional;
import dev.graft.engine.Tensor;

/** Average pooling over square windows with zero padding, optionally counted in the divisor. */
public final class AvgPool2d extends Module {
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final boolean countIncludePad;

    /** Stride equal to the kernel, no padding (PyTorch's defaults). */
    public AvgPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0, true);
    }

    public AvgPool2d(int kernelSize, int stride, int padding, boolean countIncludePad) {
        Pooling.check("AvgPool2d", kernelSize, stride, padding);
        this.kernel = new int[] {kernelSize, kernelSize};
        this.stride = new int[] {stride, stride};
        this.padding = new int[] {padding, padding};
        this.countIncludePad = countIncludePad;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.avgPool2d(x, kernel, stride, padding, countIncludePad);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernel[0] + ", stride=" + stride[0] + ", padding=" + padding[0]
                + ", count_include_pad=" + countIncludePad;
    }
}
