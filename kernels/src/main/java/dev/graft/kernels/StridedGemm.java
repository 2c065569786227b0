package dev.graft.kernels;

/**
 * The column-major cuBLAS call computing the row-major batched product {@code C[B, M, N] = A[B, M, K]·B[B, K, N]}
 * into a dense {@code C}. A row-major matrix with rows {@code ld} apart is, to column-major cuBLAS, its transpose
 * with the same {@code ld}; so the call computes {@code Cᵀ = Bᵀ·Aᵀ}: cuBLAS's first operand is the row-major B,
 * its second the row-major A, {@code m} and {@code n} swap, and an operand stored transposed becomes op = T.
 * Operand addresses are the tensors' first elements; strides and leading dimensions count elements.
 */
record StridedGemm(boolean transA, boolean transB, int m, int n, int k, int lda, long strideA, int ldb, long strideB,
        int ldc, long strideC, int batch) {

    /** The call for {@code a [batch, m, k]} and {@code b [batch, k, n]} laid out as {@code left} and {@code right}. */
    static StridedGemm of(GemmOperand left, GemmOperand right, int batch, int m, int n, int k) {
        return new StridedGemm(right.transposed(), left.transposed(), n, m, k, right.ld(), right.batchStride(),
                left.ld(), left.batchStride(), Math.max(1, n), (long) m * n, batch);
    }
}
