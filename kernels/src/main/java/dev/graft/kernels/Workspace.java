package dev.graft.kernels;

/**
 * Scratch device memory for cuDNN calls, one buffer that only grows: asking for more than it holds replaces it
 * with a buffer of the new size, asking for less reuses it. Freeing the old buffer back to the allocator is
 * safe on a single stream, since the call that used it is ordered before any later use of the memory.
 */
public final class Workspace implements AutoCloseable {

    private final CachingAllocator allocator;
    private long address;
    private long capacity;

    public Workspace(CachingAllocator allocator) {
        this.allocator = allocator;
    }

    /** The address of at least {@code bytes} of scratch memory; 0 when {@code bytes} is 0 and nothing is held. */
    public long reserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("workspace: negative size " + bytes);
        }
        if (bytes > capacity) {
            // Free first, so the allocator can hand the same memory back grown in place when it fits.
            close();
            address = allocator.allocate(bytes);
            capacity = bytes;
        }
        return address;
    }

    public long capacity() {
        return capacity;
    }

    /** Returns the buffer to the allocator. */
    @Override
    public void close() {
        if (capacity > 0) {
            allocator.free(address);
            address = 0;
            capacity = 0;
        }
    }
}
