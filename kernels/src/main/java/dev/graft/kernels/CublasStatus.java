package dev.graft.kernels;

/**
 * Names of {@code cublasStatus_t} values, from {@code cublas_api.h} (unchanged from CUDA 11 through 13). Kept
 * here rather than taken from JCublas's table because the FFM binding must not touch JCublas classes, and
 * JCublas 12.6's table lacks CUBLAS_STATUS_LICENSE_ERROR.
 */
final class CublasStatus {

    private CublasStatus() {
    }

    static String name(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "unknown cuBLAS status";
        };
    }
}
