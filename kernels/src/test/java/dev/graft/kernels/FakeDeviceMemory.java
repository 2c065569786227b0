package dev.graft.kernels;

import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link DeviceMemory} with a fixed capacity that hands out disjoint address ranges (with gaps, so adjacent
 * segments are never mistaken for one) and fails loudly on a free of anything it did not hand out.
 */
final class FakeDeviceMemory implements DeviceMemory {

    private final long capacity;
    private final TreeMap<Long, Long> segments = new TreeMap<>();
    private long next = 1L << 32;
    private long used;
    int mallocCalls;

    FakeDeviceMemory(long capacity) {
        this.capacity = capacity;
    }

    @Override
    public long malloc(long bytes) {
        mallocCalls++;
        if (used + bytes > capacity) {
            return 0;
        }
        long address = next;
        next += bytes + 4096;
        segments.put(address, bytes);
        used += bytes;
        return address;
    }

    @Override
    public void free(long address) {
        Long size = segments.remove(address);
        if (size == null) {
            throw new AssertionError("free of 0x" + Long.toHexString(address) + ", which is not a live segment");
        }
        used -= size;
    }

    @Override
    public long bytesFree() {
        return capacity - used;
    }

    long used() {
        return used;
    }

    /** Live segments: start address to size. */
    Map<Long, Long> segments() {
        return segments;
    }
}
