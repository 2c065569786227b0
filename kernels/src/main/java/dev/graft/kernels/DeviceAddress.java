package dev.graft.kernels;

import jcuda.driver.CUdeviceptr;

/**
 * Converts between JCuda's {@link CUdeviceptr} and the raw 64-bit device addresses the rest of the backend
 * passes around (the allocator hands out addresses, the FFM cuBLAS binding and kernel parameters take them).
 * JCuda keeps a pointer's value in two protected fields, so only a subclass can read them; the native side
 * always uses their sum, which is why {@link #at} can put the whole address into the byte offset.
 */
public final class DeviceAddress extends CUdeviceptr {

    private DeviceAddress(CUdeviceptr pointer) {
        super(pointer);
    }

    private DeviceAddress(long address) {
        super(new CUdeviceptr(), address);
    }

    /** The device address {@code pointer} refers to, including any byte offset applied with withByteOffset. */
    public static long of(CUdeviceptr pointer) {
        return new DeviceAddress(pointer).address();
    }

    /** A pointer JCuda's driver, cuBLAS and cuDNN calls accept, referring to {@code address}. */
    public static CUdeviceptr at(long address) {
        return new DeviceAddress(address);
    }

    private long address() {
        return getNativePointer() + getByteOffset();
    }
}
