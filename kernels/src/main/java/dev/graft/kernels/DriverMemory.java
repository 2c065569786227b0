package dev.graft.kernels;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/** {@link DeviceMemory} from the driver API, in the context current on the calling thread. */
public final class DriverMemory implements DeviceMemory {

    @Override
    public long malloc(long bytes) {
        CUdeviceptr pointer = new CUdeviceptr();
        int result = JCudaDriver.cuMemAlloc(pointer, bytes);
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            return 0;
        }
        CudaException.checkDriver(result, "cuMemAlloc(" + bytes + " bytes)");
        return DeviceAddress.of(pointer);
    }

    @Override
    public void free(long address) {
        CudaException.checkDriver(JCudaDriver.cuMemFree(DeviceAddress.at(address)),
                "cuMemFree(0x" + Long.toHexString(address) + ")");
    }

    @Override
    public long bytesFree() {
        long[] free = new long[1];
        long[] total = new long[1];
        CudaException.checkDriver(JCudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
        return free[0];
    }
}
