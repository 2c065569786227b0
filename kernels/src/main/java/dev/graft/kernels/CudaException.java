package dev.graft.kernels;

import jcuda.driver.CUresult;

/**
 * A failed CUDA driver, cuDNN or cuBLAS call. The message names the call with its key arguments, the status
 * name and its number, e.g. {@code cuModuleLoadData(fatbin of 123 bytes): CUDA_ERROR_INVALID_IMAGE (200)}.
 * JCuda's own exceptions stay disabled: they name only the status, and JCudnn would name cuDNN 9 statuses
 * with cuDNN 8's numbering.
 */
public final class CudaException extends RuntimeException {

    /** Which API returned the status, which decides how it is named. */
    public enum Library {
        DRIVER, CUDNN, CUBLAS;

        /** The status's name in this library's headers, or a description when it is not a known value. */
        public String statusName(int status) {
            return switch (this) {
                case DRIVER -> driverName(status);
                case CUDNN -> CudnnStatus.name(status);
                case CUBLAS -> CublasStatus.name(status);
            };
        }

        private static String driverName(int status) {
            String name = CUresult.stringFor(status);
            // JCuda 12.6 predates the codes CUDA 13 added and says "INVALID CUresult: n" for them.
            return name.startsWith("CUDA_") ? name : "unknown CUresult";
        }
    }

    private static final int CUDA_ERROR_OUT_OF_MEMORY = CUresult.CUDA_ERROR_OUT_OF_MEMORY;
    private static final int CUBLAS_STATUS_ALLOC_FAILED = 3;
    private static final int CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED = 4004;

    private final Library library;
    private final int status;

    /** {@code call} names the function and its key arguments, e.g. {@code "cuMemAlloc(1048576 bytes)"}. */
    public CudaException(Library library, int status, String call) {
        super(call + ": " + library.statusName(status) + " (" + status + ")");
        this.library = library;
        this.status = status;
    }

    /** Throws unless {@code result} is CUDA_SUCCESS. Build {@code call} only on failure in hot paths. */
    public static void checkDriver(int result, String call) {
        if (result != 0) {
            throw new CudaException(Library.DRIVER, result, call);
        }
    }

    /** Throws unless {@code status} is CUDNN_STATUS_SUCCESS. */
    public static void checkCudnn(int status, String call) {
        if (status != 0) {
            throw new CudaException(Library.CUDNN, status, call);
        }
    }

    /** Throws unless {@code status} is CUBLAS_STATUS_SUCCESS. */
    public static void checkCublas(int status, String call) {
        if (status != 0) {
            throw new CudaException(Library.CUBLAS, status, call);
        }
    }

    public Library library() {
        return library;
    }

    public int status() {
        return status;
    }

    /** Whether the device ran out of memory, which a caller may answer by freeing cached memory and retrying. */
    public boolean isOutOfMemory() {
        return switch (library) {
            case DRIVER -> status == CUDA_ERROR_OUT_OF_MEMORY;
            case CUBLAS -> status == CUBLAS_STATUS_ALLOC_FAILED;
            case CUDNN -> status == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED;
        };
    }
}
