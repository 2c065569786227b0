package dev.graft.engine;

/**
 * Everything a conv2d kernel needs to know about its shapes: input {@code [n, c, h, w]}, weight
 * {@code [outC, c / groups, kh, kw]}, stride, zero padding, dilation and groups. Built and validated by
 * {@link #of}; kernels trust it.
 */
public record ConvGeometry(int n, int c, int h, int w, int outC, int kh, int kw,
                           int strideH, int strideW, int padH, int padW, int dilH, int dilW, int groups) {

    public int outH() {
        return Math.floorDiv(h + 2 * padH - dilH * (kh - 1) - 1, strideH) + 1;
    }

    public int outW() {
        return Math.floorDiv(w + 2 * padW - dilW * (kw - 1) - 1, strideW) + 1;
    }

    /** Input channels seen by one group. */
    public int groupC() {
        return c / groups;
    }

    /** Output channels produced by one group. */
    public int groupOutC() {
        return outC / groups;
    }

    public int[] inputShape() {
        return new int[] {n, c, h, w};
    }

    public int[] weightShape() {
        return new int[] {outC, c / groups, kh, kw};
    }

    public int[] outputShape() {
        return new int[] {n, outC, outH(), outW()};
    }

    /**
     * Validates input and weight shapes against the hyper-parameters; every failure names conv2d and
     * the values involved.
     */
    public static ConvGeometry of(int[] input, int[] weight, int[] stride, int[] padding, int[] dilation, int groups) {
        if (input.length != 4) {
            throw new IllegalArgumentException("conv2d: input must be 4-D [N, C, H, W], got " + Shape.format(input));
        }
        if (weight.length != 4) {
            throw new IllegalArgumentException("conv2d: weight must be 4-D [O, C/groups, kH, kW], got " + Shape.format(weight));
        }
        requirePair("stride", stride, 1);
        requirePair("padding", padding, 0);
        requirePair("dilation", dilation, 1);
        if (groups < 1) {
            throw new IllegalArgumentException("conv2d: groups must be >= 1, got " + groups);
        }
        for (int d : input) {
            if (d < 1) {
                throw new IllegalArgumentException("conv2d: input has a non-positive size " + Shape.format(input));
            }
        }
        for (int d : weight) {
            if (d < 1) {
                throw new IllegalArgumentException("conv2d: weight has a non-positive size " + Shape.format(weight));
            }
        }
        int c = input[1];
        int outC = weight[0];
        if (c % groups != 0) {
            throw new IllegalArgumentException("conv2d: input channels " + c + " not divisible by groups " + groups);
        }
        if (outC % groups != 0) {
            throw new IllegalArgumentException("conv2d: output channels " + outC + " not divisible by groups " + groups);
        }
        if (weight[1] * groups != c) {
            throw new IllegalArgumentException("conv2d: input " + Shape.format(input) + " has " + c
                    + " channels, weight " + Shape.format(weight) + " with groups=" + groups + " expects "
                    + weight[1] * groups);
        }
        var g = new ConvGeometry(input[0], c, input[2], input[3], outC, weight[2], weight[3],
                stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], groups);
        if (g.outH() < 1 || g.outW() < 1) {
            throw new IllegalArgumentException("conv2d: input " + Shape.format(input) + " with padding "
                    + Shape.format(padding) + " is smaller than the dilated kernel " + Shape.format(weight)
                    + " (dilation " + Shape.format(dilation) + ")");
        }
        return g;
    }

    private static void requirePair(String what, int[] v, int min) {
        if (v.length != 2 || v[0] < min || v[1] < min) {
            throw new IllegalArgumentException("conv2d: " + what + " must be two values >= " + min + ", got "
                    + Shape.format(v));
        }
    }
}
