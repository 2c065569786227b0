package dev.graft.bench;

import dev.graft.engine.ConvGeometry;

/**
 * One square convolution of a ResNet as the kernels see it: {@code inC} channels of {@code size x size} to
 * {@code outC}, a {@code kernel x kernel} filter, {@code stride}, zero {@code padding}, no groups or dilation.
 *
 * @param name   the readable benchmark name, e.g. {@code l2_3x3_s2}
 * @param module the torchvision module name of (the first) layer with this shape, e.g. {@code layer2.0.conv2}
 */
record ConvLayer(String name, String module, int inC, int size, int outC, int kernel, int stride, int padding) {
    int outSize() {
        return (size + 2 * padding - kernel) / stride + 1;
    }

    ConvGeometry geometry(int batch) {
        return ConvGeometry.of(new int[] {batch, inC, size, size}, new int[] {outC, inC, kernel, kernel},
                new int[] {stride, stride}, new int[] {padding, padding}, new int[] {1, 1}, 1);
    }

    /** FLOPs of each pass over a batch: {@code 2·batch·outC·inC·kernel²·outSize²}. */
    double flops(int batch) {
        return 2.0 * batch * outC * inC * kernel * kernel * outSize() * outSize();
    }

    /** The GEMM that {@code Conv2dKernels} runs per image for {@code pass}; see {@link ConvPass}. */
    GemmShape gemm(ConvPass pass) {
        return gemm(pass, 1);
    }

    /** The GEMM over {@code images} images side by side: their output pixels are the GEMM's P columns. */
    GemmShape gemm(ConvPass pass, int images) {
        int k = inC * kernel * kernel;
        int p = images * outSize() * outSize();
        return switch (pass) {
            case FORWARD -> new GemmShape(false, false, outC, p, k);
            case BACKWARD_DATA -> new GemmShape(true, false, k, p, outC);
            case BACKWARD_WEIGHT -> new GemmShape(false, true, outC, k, p);
        };
    }

    /** Same shape, ignoring the names. */
    boolean sameShape(ConvLayer o) {
        return inC == o.inC && size == o.size && outC == o.outC && kernel == o.kernel && stride == o.stride
                && padding == o.padding;
    }

    /** {@code "256x56² -> 512x28², 1x1 s2 p0"}. */
    String describe() {
        return inC + "x" + size + "² → " + outC + "x" + outSize() + "², " + kernel + "x" + kernel + " s" + stride
                + " p" + padding;
    }
}
