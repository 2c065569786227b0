package dev.graft.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Map;

import jcuda.driver.CUstream;
import jcuda.runtime.cudaStream_t;

/**
 * {@link Blas} through java.lang.foreign, calling the eight cuBLAS functions graft needs by name in
 * {@code libcublas.so.13} (or {@code .12}): CUDA 13 machines have no library JCublas2's natives can link to.
 * The descriptors follow the prototypes of {@code cublas_api.h} (identical in CUDA 12 and 13); on x86-64
 * handles, streams and pointers are ADDRESS, {@code int} and the enum types are JAVA_INT, {@code long long int}
 * is JAVA_LONG, and every function returns {@code cublasStatus_t} (an enum, JAVA_INT). The names are the
 * exported symbols: {@code cublas_v2.h} maps cublasCreate and friends to their {@code _v2} versions.
 */
final class ForeignBlas implements Blas {

    /** {@code cublasStatus_t cublasCreate_v2(cublasHandle_t *handle)} */
    static final FunctionDescriptor CREATE = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    /** {@code cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)} */
    static final FunctionDescriptor DESTROY = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    /** {@code cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)} */
    static final FunctionDescriptor SET_STREAM = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
    /** {@code cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)} */
    static final FunctionDescriptor SET_MATH_MODE = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
    /**
     * {@code cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa,
     * cublasOperation_t transb, int m, int n, int k, const float *alpha, const float *A, int lda,
     * const float *B, int ldb, const float *beta, float *C, int ldc)}
     */
    static final FunctionDescriptor SGEMM = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
            JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
    /**
     * {@code cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa,
     * cublasOperation_t transb, int m, int n, int k, const float *alpha, const float *A, int lda,
     * long long int strideA, const float *B, int ldb, long long int strideB, const float *beta, float *C,
     * int ldc, long long int strideC, int batchCount)}
     */
    static final FunctionDescriptor SGEMM_STRIDED_BATCHED = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT,
            JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT,
            JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT);

    /**
     * {@code cublasStatus_t cublasDgemm_v2(cublasHandle_t handle, cublasOperation_t transa,
     * cublasOperation_t transb, int m, int n, int k, const double *alpha, const double *A, int lda,
     * const double *B, int ldb, const double *beta, double *C, int ldc)}
     */
    static final FunctionDescriptor DGEMM = SGEMM;
    /**
     * {@code cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa,
     * cublasOperation_t transb, int m, int n, int k, const double *alpha, const double *A, int lda,
     * long long int strideA, const double *B, int ldb, long long int strideB, const double *beta, double *C,
     * int ldc, long long int strideC, int batchCount)}; like {@link #DGEMM}, the F32 layout, since only the
     * pointees' types differ.
     */
    static final FunctionDescriptor DGEMM_STRIDED_BATCHED = SGEMM_STRIDED_BATCHED;

    /** Symbol name to descriptor, for the lookup and for the test that checks them against the prototypes. */
    static final Map<String, FunctionDescriptor> FUNCTIONS = Map.of("cublasCreate_v2", CREATE,
            "cublasDestroy_v2", DESTROY, "cublasSetStream_v2", SET_STREAM, "cublasSetMathMode", SET_MATH_MODE,
            "cublasSgemm_v2", SGEMM, "cublasSgemmStridedBatched", SGEMM_STRIDED_BATCHED, "cublasDgemm_v2", DGEMM,
            "cublasDgemmStridedBatched", DGEMM_STRIDED_BATCHED);

    private static final int CUBLAS_OP_N = 0;
    private static final int CUBLAS_OP_T = 1;
    private static final int CUBLAS_DEFAULT_MATH = 0;
    private static final int CUBLAS_TF32_TENSOR_OP_MATH = 3;

    private final MethodHandle destroy;
    private final MethodHandle setStream;
    private final MethodHandle setMathMode;
    private final MethodHandle sgemm;
    private final MethodHandle sgemmStridedBatched;
    private final MethodHandle dgemm;
    private final MethodHandle dgemmStridedBatched;
    private final MemorySegment handle;
    private final String description;
    // Host-side alpha and beta; cuBLAS reads them before the call returns (host pointer mode, the default).
    private final Arena scalarsArena = Arena.ofShared();
    private final MemorySegment alphaSlot = scalarsArena.allocate(JAVA_FLOAT);
    private final MemorySegment betaSlot = scalarsArena.allocate(JAVA_FLOAT);
    private final MemorySegment alphaSlot64 = scalarsArena.allocate(JAVA_DOUBLE);
    private final MemorySegment betaSlot64 = scalarsArena.allocate(JAVA_DOUBLE);

    private ForeignBlas(SymbolLookup library, String description) {
        Linker linker = Linker.nativeLinker();
        this.destroy = linker.downcallHandle(library.findOrThrow("cublasDestroy_v2"), DESTROY);
        this.setStream = linker.downcallHandle(library.findOrThrow("cublasSetStream_v2"), SET_STREAM);
        this.setMathMode = linker.downcallHandle(library.findOrThrow("cublasSetMathMode"), SET_MATH_MODE);
        this.sgemm = linker.downcallHandle(library.findOrThrow("cublasSgemm_v2"), SGEMM);
        this.sgemmStridedBatched =
                linker.downcallHandle(library.findOrThrow("cublasSgemmStridedBatched"), SGEMM_STRIDED_BATCHED);
        this.dgemm = linker.downcallHandle(library.findOrThrow("cublasDgemm_v2"), DGEMM);
        this.dgemmStridedBatched =
                linker.downcallHandle(library.findOrThrow("cublasDgemmStridedBatched"), DGEMM_STRIDED_BATCHED);
        MethodHandle create = linker.downcallHandle(library.findOrThrow("cublasCreate_v2"), CREATE);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            CudaException.checkCublas((int) create.invokeExact(out), "cublasCreate_v2 (" + description + ")");
            this.handle = out.get(ADDRESS, 0);
        } catch (RuntimeException | Error e) {
            scalarsArena.close();
            throw e;
        } catch (Throwable e) {
            scalarsArena.close();
            throw new IllegalStateException("cublasCreate_v2 (" + description + ")", e);
        }
        this.description = description;
    }

    /**
     * Loads cuBLASLt, then cuBLAS, from the files found (cuBLAS needs cuBLASLt by name, which then resolves to
     * the one loaded), and creates a handle.
     */
    static ForeignBlas open(CudaLibraries.CublasFiles files) {
        SymbolLookup.libraryLookup(files.cublasLt(), Arena.global());
        SymbolLookup library = SymbolLookup.libraryLookup(files.cublas(), Arena.global());
        return new ForeignBlas(library, "FFM binding over " + files.cublas());
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void setStream(CUstream stream) {
        MemorySegment raw = MemorySegment.ofAddress(StreamHandle.of(stream));
        try {
            CudaException.checkCublas((int) setStream.invokeExact(handle, raw), "cublasSetStream_v2");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cublasSetStream_v2", e);
        }
    }

    @Override
    public void setTf32(boolean allowed) {
        int mode = allowed ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH;
        try {
            CudaException.checkCublas((int) setMathMode.invokeExact(handle, mode), "cublasSetMathMode(" + mode + ")");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cublasSetMathMode", e);
        }
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b,
            int ldb, float beta, long c, int ldc) {
        alphaSlot.set(JAVA_FLOAT, 0, alpha);
        betaSlot.set(JAVA_FLOAT, 0, beta);
        int status;
        try {
            status = (int) sgemm.invokeExact(handle, op(transA), op(transB), m, n, k, alphaSlot,
                    MemorySegment.ofAddress(a), lda, MemorySegment.ofAddress(b), ldb, betaSlot,
                    MemorySegment.ofAddress(c), ldc);
        } catch (Throwable e) {
            throw new IllegalStateException("cublasSgemm_v2", e);
        }
        if (status != 0) {
            throw new CudaException(CudaException.Library.CUBLAS, status,
                    "cublasSgemm_v2(" + Blas.gemmArguments(transA, transB, m, n, k, lda, ldb, ldc) + ")");
        }
    }

    @Override
    public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a,
            int lda, long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC,
            int batchCount) {
        alphaSlot.set(JAVA_FLOAT, 0, alpha);
        betaSlot.set(JAVA_FLOAT, 0, beta);
        int status;
        try {
            status = (int) sgemmStridedBatched.invokeExact(handle, op(transA), op(transB), m, n, k, alphaSlot,
                    MemorySegment.ofAddress(a), lda, strideA, MemorySegment.ofAddress(b), ldb, strideB,
                    betaSlot, MemorySegment.ofAddress(c), ldc, strideC, batchCount);
        } catch (Throwable e) {
            throw new IllegalStateException("cublasSgemmStridedBatched", e);
        }
        if (status != 0) {
            throw new CudaException(CudaException.Library.CUBLAS, status, "cublasSgemmStridedBatched("
                    + Blas.gemmArguments(transA, transB, m, n, k, lda, ldb, ldc) + ", batch=" + batchCount + ")");
        }
    }

    @Override
    public void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, long a, int lda, long b,
            int ldb, double beta, long c, int ldc) {
        alphaSlot64.set(JAVA_DOUBLE, 0, alpha);
        betaSlot64.set(JAVA_DOUBLE, 0, beta);
        int status;
        try {
            status = (int) dgemm.invokeExact(handle, op(transA), op(transB), m, n, k, alphaSlot64,
                    MemorySegment.ofAddress(a), lda, MemorySegment.ofAddress(b), ldb, betaSlot64,
                    MemorySegment.ofAddress(c), ldc);
        } catch (Throwable e) {
            throw new IllegalStateException("cublasDgemm_v2", e);
        }
        if (status != 0) {
            throw new CudaException(CudaException.Library.CUBLAS, status,
                    "cublasDgemm_v2(" + Blas.gemmArguments(transA, transB, m, n, k, lda, ldb, ldc) + ")");
        }
    }

    @Override
    public void dgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, double alpha, long a,
            int lda, long strideA, long b, int ldb, long strideB, double beta, long c, int ldc, long strideC,
            int batchCount) {
        alphaSlot64.set(JAVA_DOUBLE, 0, alpha);
        betaSlot64.set(JAVA_DOUBLE, 0, beta);
        int status;
        try {
            status = (int) dgemmStridedBatched.invokeExact(handle, op(transA), op(transB), m, n, k, alphaSlot64,
                    MemorySegment.ofAddress(a), lda, strideA, MemorySegment.ofAddress(b), ldb, strideB,
                    betaSlot64, MemorySegment.ofAddress(c), ldc, strideC, batchCount);
        } catch (Throwable e) {
            throw new IllegalStateException("cublasDgemmStridedBatched", e);
        }
        if (status != 0) {
            throw new CudaException(CudaException.Library.CUBLAS, status, "cublasDgemmStridedBatched("
                    + Blas.gemmArguments(transA, transB, m, n, k, lda, ldb, ldc) + ", batch=" + batchCount + ")");
        }
    }

    @Override
    public void close() {
        try {
            CudaException.checkCublas((int) destroy.invokeExact(handle), "cublasDestroy_v2");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cublasDestroy_v2", e);
        } finally {
            scalarsArena.close();
        }
    }

    private static int op(boolean transpose) {
        return transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
    }

    /** Reads a CUstream's raw handle, which JCuda keeps in a protected field of a common superclass. */
    static final class StreamHandle extends CUstream {

        private StreamHandle(CUstream stream) {
            super(new cudaStream_t(stream));
        }

        static long of(CUstream stream) {
            return new StreamHandle(stream).getNativePointer();
        }
    }
}
