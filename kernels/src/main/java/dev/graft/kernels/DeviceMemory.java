package dev.graft.kernels;

/**
 * Raw device memory, as the driver hands it out: what {@link CachingAllocator} carves its blocks from.
 * {@link DriverMemory} is the real one; tests use a fake.
 */
public interface DeviceMemory {

    /** Allocates {@code bytes} and returns the device address, or 0 when the device is out of memory. */
    long malloc(long bytes);

    /** Frees an address {@link #malloc} returned. */
    void free(long address);

    /** Bytes the device has free, for out-of-memory messages. */
    long bytesFree();
}
