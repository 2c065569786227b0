package dev.graft.kernels;

import dev.graft.engine.Backend;
import dev.graft.engine.DType;
import dev.graft.engine.Storage;
import dev.graft.engine.Tensor;

/**
 * A tensor's elements in device memory: a block of {@link CudaDevice}'s caching allocator, returned to it once
 * the storage is unreachable (Java has no reference counts; the device collects releases on its next
 * allocation, and a collection is forced when memory runs out).
 */
final class CudaStorage implements Storage {
    private final CudaDevice device;
    private final DType dtype;
    private final int size;
    private final long address;

    CudaStorage(CudaDevice device, DType dtype, int size, long address) {
        this.device = device;
        this.dtype = dtype;
        this.size = size;
        this.address = address;
    }

    /** Device address of element 0. */
    long address() {
        return address;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Backend backend() {
        return device.backend();
    }

    CudaDevice device() {
        return device;
    }

    /** Device address of {@code t}'s element at its offset ({@code t} must live on a CUDA storage). */
    static long address(Tensor t) {
        return ((CudaStorage) t.storage()).address + (long) t.offset() * elementBytes(t.dtype());
    }

    /** Bytes of one element. */
    static int elementBytes(DType dtype) {
        return switch (dtype) {
            case F32 -> Float.BYTES;
            case F64 -> Double.BYTES;
            case I64 -> Long.BYTES;
        };
    }
}
