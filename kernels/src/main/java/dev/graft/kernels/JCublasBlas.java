package dev.graft.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasOperation;
import jcuda.runtime.cudaStream_t;

/**
 * {@link Blas} through JCublas2. Its natives link against the ELF symbol version of {@code libcublas.so.12},
 * so this binding exists only where CUDA 12's cuBLAS is installed; {@link ForeignBlas} covers CUDA 13.
 */
final class JCublasBlas implements Blas {

    private final cublasHandle handle;
    private final String description;

    private JCublasBlas(cublasHandle handle, String description) {
        this.handle = handle;
        this.description = description;
    }

    /**
     * Loads cuBLASLt and cuBLAS from the files found (JCublas2's natives then resolve libcublas.so.12 to them)
     * and creates a handle. Throws UnsatisfiedLinkError when JCublas2's natives cannot load.
     */
    static JCublasBlas open(CudaLibraries.CublasFiles files) {
        SymbolLookup.libraryLookup(files.cublasLt(), Arena.global());
        SymbolLookup.libraryLookup(files.cublas(), Arena.global());
        JCublas2.setExceptionsEnabled(false);
        cublasHandle handle = new cublasHandle();
        CudaException.checkCublas(JCublas2.cublasCreate(handle), "cublasCreate (JCublas2, " + files.cublas() + ")");
        return new JCublasBlas(handle, "JCublas2 over " + files.cublas());
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void setStream(CUstream stream) {
        CudaException.checkCublas(JCublas2.cublasSetStream(handle, new cudaStream_t(stream)), "cublasSetStream");
    }

    @Override
    public void setTf32(boolean allowed) {
        int mode = allowed ? cublasMath.CUBLAS_TF32_TENSOR_OP_MATH : cublasMath.CUBLAS_DEFAULT_MATH;
        CudaException.checkCublas(JCublas2.cublasSetMathMode(handle, mode), "cublasSetMathMode(" + mode + ")");
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b,
            int ldb, float beta, long c, int ldc) {
        int status = JCublas2.cublasSgemm(handle, op(transA), op(transB), m, n, k, Pointer.to(new float[] {alpha}),
                DeviceAddress.at(a), lda, DeviceAddress.at(b), ldb, Pointer.to(new float[] {beta}),
                DeviceAddress.at(c), ldc);
        if (status != 0) {
            throw new CudaException(CudaException.Library.CUBLAS, status,
                    "cublasSgemm(" + Blas.gemmArguments(transA, transB, m, n, k, lda, ldb, ldc) + ")");
        }
    }

    @Override
    public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a,
            int lda, long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC,
            int batchCount) {
        int status = JCublas2.cublasSgemmStridedBatched(handle, op(transA), op(transB), m, n, k,
                Pointer.to(new float[] {alpha}), DeviceAddress.at(a), lda, strideA, DeviceAddress.at(b), ldb, strideB,
                Pointer.to(new float[] {beta}), DeviceAddress.at(c), ldc, strideC, batchCount);
        if (status != 0) {
            throw new CudaException(CudaException.Library.CUBLAS, status, "cublasSgemmStridedBatched("
                    + Blas.gemmArguments(transA, transB, m, n, k, lda, ldb, ldc) + ", batch=" + batchCount + ")");
        }
    }

    @Override
    public void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, long a, int lda, long b,
            int ldb, double beta, long c, int ldc) {
        int status = JCublas2.cublasDgemm(handle, op(transA), op(transB), m, n, k, Pointer.to(new double[] {alpha}),
                DeviceAddress.at(a), lda, DeviceAddress.at(b), ldb, Pointer.to(new double[] {beta}),
                DeviceAddress.at(c), ldc);
        if (status != 0) {
            throw new CudaException(CudaException.Library.CUBLAS, status,
                    "cublasDgemm(" + Blas.gemmArguments(transA, transB, m, n, k, lda, ldb, ldc) + ")");
        }
    }

    @Override
    public void dgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, double alpha, long a,
            int lda, long strideA, long b, int ldb, long strideB, double beta, long c, int ldc, long strideC,
            int batchCount) {
        int status = JCublas2.cublasDgemmStridedBatched(handle, op(transA), op(transB), m, n, k,
                Pointer.to(new double[] {alpha}), DeviceAddress.at(a), lda, strideA, DeviceAddress.at(b), ldb, strideB,
                Pointer.to(new double[] {beta}), DeviceAddress.at(c), ldc, strideC, batchCount);
        if (status != 0) {
            throw new CudaException(CudaException.Library.CUBLAS, status, "cublasDgemmStridedBatched("
                    + Blas.gemmArguments(transA, transB, m, n, k, lda, ldb, ldc) + ", batch=" + batchCount + ")");
        }
    }

    @Override
    public void close() {
        CudaException.checkCublas(JCublas2.cublasDestroy(handle), "cublasDestroy");
    }

    private static int op(boolean transpose) {
        return transpose ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
    }
}
