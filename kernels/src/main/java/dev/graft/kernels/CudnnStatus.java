package dev.graft.kernels;

/**
 * Names of cuDNN 9 status codes. JCudnn's own table is cuDNN 8's (1 to 14); cuDNN 9 renumbered every error
 * into categories (1xxx general, 2xxx bad parameter, 3xxx not supported, 4xxx internal, 5xxx execution), so
 * JCudnn's names would be wrong for every failure. Values from {@code cudnnStatus_t} in cuDNN 9's
 * {@code cudnn_graph.h} (9.0 to 9.18; the codes 1008, 2011, 2012, 3013, 3014 arrived in 9.2, 9.5, 9.6, 9.5,
 * 9.18). cuDNN 8 aliases such as CUDNN_STATUS_ALLOC_FAILED are defined there as one of these values.
 */
final class CudnnStatus {

    private CudnnStatus() {
    }

    static String name(int status) {
        return switch (status) {
            case 0 -> "CUDNN_STATUS_SUCCESS";
            case 1001 -> "CUDNN_STATUS_NOT_INITIALIZED";
            case 1002 -> "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH";
            case 1003 -> "CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH";
            case 1004 -> "CUDNN_STATUS_DEPRECATED";
            case 1005 -> "CUDNN_STATUS_LICENSE_ERROR";
            case 1006 -> "CUDNN_STATUS_RUNTIME_IN_PROGRESS";
            case 1007 -> "CUDNN_STATUS_RUNTIME_FP_OVERFLOW";
            case 1008 -> "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED";
            case 2000 -> "CUDNN_STATUS_BAD_PARAM";
            case 2001 -> "CUDNN_STATUS_INVALID_VALUE";
            case 2002 -> "CUDNN_STATUS_BAD_PARAM_NULL_POINTER";
            case 2003 -> "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER";
            case 2004 -> "CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED";
            case 2005 -> "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND";
            case 2006 -> "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT";
            case 2007 -> "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH";
            case 2008 -> "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH";
            case 2009 -> "CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES";
            case 2010 -> "CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE";
            case 2011 -> "CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH";
            case 2012 -> "CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE";
            case 3000 -> "CUDNN_STATUS_NOT_SUPPORTED";
            case 3001 -> "CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN";
            case 3002 -> "CUDNN_STATUS_NOT_SUPPORTED_SHAPE";
            case 3003 -> "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE";
            case 3004 -> "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT";
            case 3005 -> "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER";
            case 3006 -> "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART";
            case 3007 -> "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH";
            case 3008 -> "CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING";
            case 3009 -> "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE";
            case 3010 -> "CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT";
            case 3011 -> "CUDNN_STATUS_NOT_SUPPORTED_PADDING";
            case 3012 -> "CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM";
            case 3013 -> "CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API";
            case 3014 -> "CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE";
            case 4000 -> "CUDNN_STATUS_INTERNAL_ERROR";
            case 4001 -> "CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED";
            case 4002 -> "CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE";
            case 4003 -> "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED";
            case 4004 -> "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED";
            case 4005 -> "CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM";
            case 4006 -> "CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED";
            case 5000 -> "CUDNN_STATUS_EXECUTION_FAILED";
            case 5001 -> "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER";
            case 5002 -> "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS";
            case 5003 -> "CUDNN_STATUS_EXECUTION_FAILED_CUDART";
            case 5004 -> "CUDNN_STATUS_EXECUTION_FAILED_CURAND";
            default -> categoryOf(status);
        };
    }

    /** A code a later cuDNN 9 adds still names its category, which is its thousands digit. */
    private static String categoryOf(int status) {
        String category = switch (status / 1000) {
            case 1 -> "general error";
            case 2 -> "CUDNN_STATUS_BAD_PARAM category";
            case 3 -> "CUDNN_STATUS_NOT_SUPPORTED category";
            case 4 -> "CUDNN_STATUS_INTERNAL_ERROR category";
            case 5 -> "CUDNN_STATUS_EXECUTION_FAILED category";
            default -> null;
        };
        return category == null ? "unknown cuDNN status" : "unnamed cuDNN 9 status (" + category + ")";
    }
}
