package dev.graft.kernels;

import jcuda.driver.CUstream;

/**
 * Single- and double-precision GEMM on device memory through cuBLAS, in cuBLAS's column-major convention:
 * {@code C = alpha * op(A) * op(B) + beta * C} with op(A) m x k, op(B) k x n, C m x n, and leading dimensions
 * counted in elements. A row-major product {@code C = A B} is the column-major {@code C^T = B^T A^T}: swap the
 * operands and m with n. Pointers are raw device addresses ({@link DeviceAddress}); alpha and beta are host
 * values. Calls are asynchronous on the stream set last. An instance wraps one cuBLAS handle and is not safe
 * for concurrent use. {@link BlasLoader} opens the binding that works on this machine.
 */
public interface Blas extends AutoCloseable {

    /** Which binding over which library, e.g. {@code "JCublas2 over /usr/lib/libcublas.so.12"}. */
    String description();

    /** Runs later calls on {@code stream} (cublasSetStream). */
    void setStream(CUstream stream);

    /** Lets cuBLAS round F32 inputs to TF32 on tensor cores (CUBLAS_TF32_TENSOR_OP_MATH) or not (default math). */
    void setTf32(boolean allowed);

    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
            float beta, long c, int ldc);

    /** {@code batchCount} independent GEMMs; matrix i of A starts at {@code a + i * strideA} elements. */
    void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
            long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batchCount);

    /** The F64 {@link #sgemm}; the math mode does not apply (TF32 concerns F32 inputs only). */
    void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, long a, int lda, long b, int ldb,
            double beta, long c, int ldc);

    /** The F64 {@link #sgemmStridedBatched}. */
    void dgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, double alpha, long a, int lda,
            long strideA, long b, int ldb, long strideB, double beta, long c, int ldc, long strideC, int batchCount);

    /** Destroys the cuBLAS handle. */
    @Override
    void close();

    /** The key arguments of a GEMM, for failure messages. */
    static String gemmArguments(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc) {
        return (transA ? "T" : "N") + (transB ? "T" : "N") + ", m=" + m + ", n=" + n + ", k=" + k + ", lda=" + lda
                + ", ldb=" + ldb + ", ldc=" + ldc;
    }
}
