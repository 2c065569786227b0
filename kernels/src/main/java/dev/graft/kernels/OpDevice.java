package dev.graft.kernels;

import dev.graft.engine.DType;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

import java.lang.ref.Reference;

/**
 * What the kernel-backed op groups need of a GPU: storages for results, launches of graft's kernels, the error
 * flag and uploads of launch arguments. {@link #of} is the real device; tests put a recording one in its place
 * to run the op groups without a GPU and check every launch against the kernels' signatures.
 */
interface OpDevice {
    /** An uninitialised storage, for results whose every element a kernel writes. */
    CudaStorage allocate(DType dtype, int size);

    /** A zero-filled storage. */
    CudaStorage zeros(DType dtype, int size);

    /** Device address of the int that kernels set when an index is out of range. */
    long errorFlag();

    /**
     * Queues {@code entry} on a grid of {@code gridX × gridY} blocks of {@code blockX × blockY} threads. Arguments
     * as {@link TensorLaunch#arguments} takes them (tensors, storages and nulls are device addresses).
     */
    void launch(String entry, int gridX, int gridY, int blockX, int blockY, Object... args);

    /** A new I64 storage holding {@code words}, copied in order after the work already queued. */
    CudaStorage upload(long[] words);

    static OpDevice of(CudaDevice device) {
        return new OnGpu(device);
    }

    /** The real device. */
    record OnGpu(CudaDevice device) implements OpDevice {
        @Override
        public CudaStorage allocate(DType dtype, int size) {
            return device.allocate(dtype, size);
        }

        @Override
        public CudaStorage zeros(DType dtype, int size) {
            return device.zeros(dtype, size);
        }

        @Override
        public long errorFlag() {
            return device.errorFlag();
        }

        /** Every argument stays reachable until the launch is queued (see {@link TensorLaunch}). */
        @Override
        public void launch(String entry, int gridX, int gridY, int blockX, int blockY, Object... args) {
            device.kernels().launch(entry, gridX, gridY, blockX, blockY, 0, TensorLaunch.arguments(args));
            Reference.reachabilityFence(args);
        }

        @Override
        public CudaStorage upload(long[] words) {
            CudaStorage s = device.allocate(DType.I64, words.length);
            long bytes = (long) words.length * Long.BYTES;
            if (bytes > 0) {
                // Synchronous, and ordered after the work queued on the (blocking) stream, like the backend's uploads.
                CudaException.checkDriver(JCudaDriver.cuMemcpyHtoD(DeviceAddress.at(s.address()), Pointer.to(words),
                        bytes), "cuMemcpyHtoD(" + bytes + " bytes of kernel arguments)");
            }
            return s;
        }
    }
}
