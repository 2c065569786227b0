package dev.graft.engine;

/**
 * Shapes of a 2-D pooling window over an input {@code [n, c, h, w]}: kernel, stride and implicit padding
 * (-inf for max pooling, zeros for average pooling). Built and validated by {@link #of}.
 */
public record PoolGeometry(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW) {

    public int outH() {
        return Math.floorDiv(h + 2 * padH - kh, strideH) + 1;
    }

    public int outW() {
        return Math.floorDiv(w + 2 * padW - kw, strideW) + 1;
    }

    public int[] outputShape() {
        return new int[] {n, c, outH(), outW()};
    }

    /** Validates the window against the input; {@code op} names the caller in error messages. */
    public static PoolGeometry of(String op, int[] input, int[] kernel, int[] stride, int[] padding) {
        if (input.length != 4) {
            throw new IllegalArgumentException(op + ": input must be 4-D [N, C, H, W], got " + Shape.format(input));
        }
        for (int d : input) {
            if (d < 1) {
                throw new IllegalArgumentException(op + ": input has a non-positive size " + Shape.format(input));
            }
        }
        if (kernel.length != 2 || kernel[0] < 1 || kernel[1] < 1) {
            throw new IllegalArgumentException(op + ": kernel must be two values >= 1, got " + Shape.format(kernel));
        }
        if (stride.length != 2 || stride[0] < 1 || stride[1] < 1) {
            throw new IllegalArgumentException(op + ": stride must be two values >= 1, got " + Shape.format(stride));
        }
        if (padding.length != 2 || padding[0] < 0 || padding[1] < 0) {
            throw new IllegalArgumentException(op + ": padding must be two values >= 0, got " + Shape.format(padding));
        }
        if (2 * padding[0] > kernel[0] || 2 * padding[1] > kernel[1]) {
            throw new IllegalArgumentException(op + ": padding " + Shape.format(padding)
                    + " must be at most half the kernel " + Shape.format(kernel));
        }
        var g = new PoolGeometry(input[0], input[1], input[2], input[3], kernel[0], kernel[1],
                stride[0], stride[1], padding[0], padding[1]);
        if (g.outH() < 1 || g.outW() < 1) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(input) + " is smaller than the kernel "
                    + Shape.format(kernel) + " with padding " + Shape.format(padding));
        }
        return g;
    }
}
