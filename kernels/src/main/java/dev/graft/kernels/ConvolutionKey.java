package dev.graft.kernels;

import dev.graft.engine.DType;

/**
 * Everything that decides which cuDNN convolution algorithm is fastest and how much workspace it needs: the
 * input N x C x H x W, the K x (C / groups) x R x S filter, padding, stride, dilation, groups, element type,
 * cuDNN math type (a {@code cudnnMathType_t} value, so TF32 on and off are different keys) and the direction.
 * Two keys are equal exactly when every field is.
 */
public record ConvolutionKey(int n, int c, int h, int w, int k, int r, int s, int padH, int padW, int strideH,
        int strideW, int dilationH, int dilationW, int groups, DType dtype, int mathType, Direction direction) {

    /** The three cuDNN convolution calls, each with its own algorithm enumeration. */
    public enum Direction {
        FORWARD, BACKWARD_DATA, BACKWARD_FILTER
    }

    public ConvolutionKey {
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0 || k <= 0 || r <= 0 || s <= 0) {
            throw new IllegalArgumentException("convolution key: sizes must be positive, got input " + n + "x" + c
                    + "x" + h + "x" + w + ", filter " + k + "x" + r + "x" + s);
        }
        if (padH < 0 || padW < 0 || strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0) {
            throw new IllegalArgumentException("convolution key: padding " + padH + "," + padW + " stride "
                    + strideH + "," + strideW + " dilation " + dilationH + "," + dilationW);
        }
        if (groups <= 0 || c % groups != 0 || k % groups != 0) {
            throw new IllegalArgumentException("convolution key: " + groups + " groups do not divide " + c
                    + " input and " + k + " output channels");
        }
        if (dtype == null || direction == null) {
            throw new IllegalArgumentException("convolution key: dtype and direction are required");
        }
    }
}
