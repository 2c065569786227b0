package dev.graft.kernels;

import dev.graft.engine.Shape;

/**
 * How one {@code [B, R, C]} operand of a batched matmul reaches cuBLAS without a copy: each matrix either
 * row-major with rows {@code ld} elements apart, or {@code transposed} (column-major, a transposed view of a
 * row-major matrix) with columns {@code ld} apart, and matrix {@code i} starting {@code i·batchStride} elements
 * after the tensor's first element (0 shares one matrix across the batch). The accepted views are the CPU
 * backend's; their {@code ld} is always at least the length of the contiguous dimension, as cuBLAS requires.
 */
record GemmOperand(long batchStride, boolean transposed, int ld) {

    /**
     * The operand for a view of {@code shape} and element {@code strides}, or null when it must be copied dense
     * first: neither of its last two dimensions is contiguous, rows or columns overlap, or a stride is negative.
     */
    static GemmOperand of(int[] shape, int[] strides) {
        if (shape.length != 3 || strides.length != 3) {
            throw new IllegalArgumentException("matmul operand must be 3-D [B, R, C], got " + Shape.format(shape));
        }
        int b = shape[0];
        int r = shape[1];
        int c = shape[2];
        int s1 = strides[1];
        int s2 = strides[2];
        long batchStride = b == 1 ? 0 : strides[0];
        if (batchStride < 0 || s1 < 0 || s2 < 0) {
            return null;
        }
        if ((s2 == 1 || c == 1) && (r == 1 || s1 >= c)) {
            return new GemmOperand(batchStride, false, r == 1 ? Math.max(1, c) : Math.max(1, s1));
        }
        if ((s1 == 1 || r == 1) && (c == 1 || s2 >= r)) {
            return new GemmOperand(batchStride, true, c == 1 ? Math.max(1, r) : Math.max(1, s2));
        }
        return null;
    }

    /** A contiguous {@code [B, R, C]} tensor (what a copy produces). */
    static GemmOperand dense(int r, int c) {
        return new GemmOperand((long) r * c, false, Math.max(1, c));
    }
}
