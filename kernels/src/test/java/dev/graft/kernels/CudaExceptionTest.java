package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jcuda.jcudnn.cudnnStatus;
import org.junit.jupiter.api.Test;

class CudaExceptionTest {

    @Test
    void driverFailureNamesCallArgumentsStatusAndNumber() {
        CudaException e = assertThrows(CudaException.class,
                () -> CudaException.checkDriver(200, "cuModuleLoadData(fatbin of 123 bytes)"));
        assertEquals("cuModuleLoadData(fatbin of 123 bytes): CUDA_ERROR_INVALID_IMAGE (200)", e.getMessage());
        assertEquals(CudaException.Library.DRIVER, e.library());
        assertEquals(200, e.status());
        assertEquals("unknown CUresult", CudaException.Library.DRIVER.statusName(123456));
    }

    @Test
    void cudnn9CodesAreNamedByTheCudnn9Table() {
        assertEquals("CUDNN_STATUS_SUCCESS", CudnnStatus.name(0));
        assertEquals("CUDNN_STATUS_NOT_INITIALIZED", CudnnStatus.name(1001));
        assertEquals("CUDNN_STATUS_BAD_PARAM", CudnnStatus.name(2000));
        assertEquals("CUDNN_STATUS_BAD_PARAM_NULL_POINTER", CudnnStatus.name(2002));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED", CudnnStatus.name(3000));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH", CudnnStatus.name(3007));
        assertEquals("CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED", CudnnStatus.name(4004));
        assertEquals("CUDNN_STATUS_EXECUTION_FAILED_CUBLAS", CudnnStatus.name(5002));
        assertEquals("unnamed cuDNN 9 status (CUDNN_STATUS_NOT_SUPPORTED category)", CudnnStatus.name(3999));
        assertEquals("unknown cuDNN status", CudnnStatus.name(3));
        CudaException e = new CudaException(CudaException.Library.CUDNN, 3000,
                "cudnnConvolutionForward(algo 6, workspace 1024 bytes)");
        assertEquals("cudnnConvolutionForward(algo 6, workspace 1024 bytes): CUDNN_STATUS_NOT_SUPPORTED (3000)",
                e.getMessage());
    }

    @Test
    void jcudnnsOwnTableWouldMisnameCudnn9Codes() {
        // Why the table exists: JCudnn 11.7.0 knows cuDNN 8's numbering only.
        assertEquals("CUDNN_STATUS_BAD_PARAM", cudnnStatus.stringFor(3));
        assertNotEquals(CudnnStatus.name(2000), cudnnStatus.stringFor(2000));
    }

    @Test
    void cublasStatusesAreNamed() {
        assertEquals("CUBLAS_STATUS_INVALID_VALUE", CublasStatus.name(7));
        assertEquals("CUBLAS_STATUS_LICENSE_ERROR", CublasStatus.name(16));
        assertEquals("unknown cuBLAS status", CublasStatus.name(2));
        CudaException e = assertThrows(CudaException.class,
                () -> CudaException.checkCublas(7, "cublasSgemm_v2(NT, m=1, n=2, k=3, lda=1, ldb=2, ldc=1)"));
        assertEquals("cublasSgemm_v2(NT, m=1, n=2, k=3, lda=1, ldb=2, ldc=1): CUBLAS_STATUS_INVALID_VALUE (7)",
                e.getMessage());
    }

    @Test
    void successDoesNotThrow() {
        assertDoesNotThrow(() -> CudaException.checkDriver(0, "cuInit(0)"));
        assertDoesNotThrow(() -> CudaException.checkCudnn(0, "cudnnCreate"));
        assertDoesNotThrow(() -> CudaException.checkCublas(0, "cublasCreate"));
    }

    @Test
    void outOfMemoryIsRecognisedPerLibrary() {
        assertTrue(new CudaException(CudaException.Library.DRIVER, 2, "cuMemAlloc(1 bytes)").isOutOfMemory());
        assertTrue(new CudaException(CudaException.Library.CUBLAS, 3, "cublasCreate").isOutOfMemory());
        assertTrue(new CudaException(CudaException.Library.CUDNN, 4004, "cudnnCreate").isOutOfMemory());
        assertFalse(new CudaException(CudaException.Library.CUDNN, 2, "cudnnCreate").isOutOfMemory());
        assertFalse(new CudaException(CudaException.Library.DRIVER, 1, "cuInit(0)").isOutOfMemory());
    }
}
