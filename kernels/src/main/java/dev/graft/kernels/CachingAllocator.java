package dev.graft.kernels;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

import jcuda.driver.CUresult;

/**
 * Device memory allocator that caches what is freed, after PyTorch's CUDA caching allocator: cudaMalloc and
 * cudaFree synchronise the device and cost far more than a training step can afford per tensor.
 * <ul>
 * <li>Sizes round up to 512 bytes. Requests up to 1 MiB come from the small pool, carved from 2 MiB segments;
 * larger ones from the large pool, whose segments are 20 MiB for requests under 10 MiB and the request rounded
 * up to 2 MiB otherwise.
 * <li>A request takes the smallest free block of its pool that fits (best fit, lowest address on ties) and
 * splits off the rest when it is worth keeping (any remainder in the small pool, over 1 MiB in the large one).
 * <li>A freed block merges with free neighbours of its segment. Segments go back to the device only through
 * {@link #emptyCache()}, or when a device allocation fails: then every wholly free segment is released and the
 * allocation retried once before failing with the requested, allocated and reserved bytes.
 * </ul>
 * Single stream: a freed block may be handed out again at once, which is safe because all work runs in order
 * on one stream. With several streams a block would have to wait for the streams that used it.
 */
public final class CachingAllocator {

    static final long ROUND = 512;
    static final long SMALL_REQUEST = 1 << 20;
    static final long SMALL_SEGMENT = 2 << 20;
    static final long LARGE_SEGMENT = 20 << 20;
    static final long LARGE_SEGMENT_THRESHOLD = 10 << 20;
    static final long SEGMENT_ROUND = 2 << 20;

    /** Usage in bytes; "reserved" is what segments hold from the device, "allocated" what live blocks use. */
    public record Statistics(long allocated, long reserved, long peakAllocated, long peakReserved) {
    }

    private static final class Block {
        final long segment;
        final boolean small;
        long address;
        long size;
        boolean allocated;
        Block previous;
        Block next;

        Block(long segment, boolean small, long address, long size) {
            this.segment = segment;
            this.small = small;
            this.address = address;
            this.size = size;
        }
    }

    private static final Comparator<Block> BY_SIZE_THEN_ADDRESS =
            Comparator.<Block>comparingLong(b -> b.size).thenComparingLong(b -> b.address);

    private final DeviceMemory device;
    private final Runnable reclaim;
    private final TreeSet<Block> smallFree = new TreeSet<>(BY_SIZE_THEN_ADDRESS);
    private final TreeSet<Block> largeFree = new TreeSet<>(BY_SIZE_THEN_ADDRESS);
    private final Map<Long, Block> live = new HashMap<>();
    private long allocated;
    private long reserved;
    private long peakAllocated;
    private long peakReserved;

    public CachingAllocator(DeviceMemory device) {
        this(device, null);
    }

    /**
     * An allocator that, when the device is out of memory even after releasing its cache, runs {@code reclaim}
     * once and retries: the owner's chance to free blocks whose tensors are unreachable but not yet freed (on the
     * JVM, a garbage collection). {@code reclaim} may call {@link #free}.
     */
    public CachingAllocator(DeviceMemory device, Runnable reclaim) {
        this.device = device;
        this.reclaim = reclaim;
    }

    /** The size a request of {@code bytes} occupies: a multiple of 512, at least 512. */
    public static long roundedSize(long bytes) {
        return Math.max(ROUND, (bytes + ROUND - 1) / ROUND * ROUND);
    }

    /**
     * Returns the device address of a block of at least {@code bytes}, aligned to 512 bytes.
     *
     * @throws CudaException (CUDA_ERROR_OUT_OF_MEMORY) when the device has no room even after releasing the cache
     */
    public synchronized long allocate(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("allocate: negative size " + bytes);
        }
        try {
            return allocateOnce(bytes);
        } catch (CudaException e) {
            if (!e.isOutOfMemory() || reclaim == null) {
                throw e;
            }
            reclaim.run();
            return allocateOnce(bytes);
        }
    }

    private long allocateOnce(long bytes) {
        long size = roundedSize(bytes);
        boolean small = size <= SMALL_REQUEST;
        TreeSet<Block> pool = small ? smallFree : largeFree;
        Block block = pool.ceiling(probe(size));
        if (block != null) {
            pool.remove(block);
        } else {
            block = newSegment(bytes, size, small);
        }
        split(block, size, pool);
        block.allocated = true;
        live.put(block.address, block);
        allocated += block.size;
        peakAllocated = Math.max(peakAllocated, allocated);
        return block.address;
    }

    /** Returns a block to the cache; {@code address} must come from {@link #allocate} and not be freed yet. */
    public synchronized void free(long address) {
        Block block = live.remove(address);
        if (block == null) {
            throw new IllegalArgumentException("free: 0x" + Long.toHexString(address)
                    + " is not a live allocation of this allocator");
        }
        block.allocated = false;
        allocated -= block.size;
        TreeSet<Block> pool = block.small ? smallFree : largeFree;
        Block previous = block.previous;
        if (previous != null && !previous.allocated) {
            pool.remove(previous);
            previous.size += block.size;
            previous.next = block.next;
            if (block.next != null) {
                block.next.previous = previous;
            }
            block = previous;
        }
        Block next = block.next;
        if (next != null && !next.allocated) {
            pool.remove(next);
            block.size += next.size;
            block.next = next.next;
            if (next.next != null) {
                next.next.previous = block;
            }
        }
        pool.add(block);
    }

    /** Releases every wholly free segment to the device. Live blocks are untouched. */
    public synchronized void emptyCache() {
        release(smallFree);
        release(largeFree);
    }

    public synchronized Statistics statistics() {
        return new Statistics(allocated, reserved, peakAllocated, peakReserved);
    }

    /** Starts the peaks over from the current usage, e.g. to measure one training step. */
    public synchronized void resetPeaks() {
        peakAllocated = allocated;
        peakReserved = reserved;
    }

    private Block newSegment(long requested, long size, boolean small) {
        long segmentSize = small ? SMALL_SEGMENT
                : size < LARGE_SEGMENT_THRESHOLD ? LARGE_SEGMENT : (size + SEGMENT_ROUND - 1) / SEGMENT_ROUND * SEGMENT_ROUND;
        long address = device.malloc(segmentSize);
        if (address == 0) {
            emptyCache();
            address = device.malloc(segmentSize);
        }
        if (address == 0) {
            throw new CudaException(CudaException.Library.DRIVER, CUresult.CUDA_ERROR_OUT_OF_MEMORY,
                    "allocate(" + requested + " bytes, segment of " + segmentSize + " bytes): allocated "
                            + allocated + " bytes, reserved " + reserved + " bytes, device free " + device.bytesFree()
                            + " bytes");
        }
        reserved += segmentSize;
        peakReserved = Math.max(peakReserved, reserved);
        return new Block(address, small, address, segmentSize);
    }

    /** Cuts {@code block} down to {@code size} and returns the rest to the pool, when the rest is worth keeping. */
    private static void split(Block block, long size, TreeSet<Block> pool) {
        long remaining = block.size - size;
        boolean worthKeeping = block.small ? remaining >= ROUND : remaining > SMALL_REQUEST;
        if (!worthKeeping) {
            return;
        }
        Block rest = new Block(block.segment, block.small, block.address + size, remaining);
        rest.previous = block;
        rest.next = block.next;
        if (block.next != null) {
            block.next.previous = rest;
        }
        block.next = rest;
        block.size = size;
        pool.add(rest);
    }

    private void release(TreeSet<Block> pool) {
        var wholeSegments = pool.stream().filter(b -> b.previous == null && b.next == null).toList();
        for (Block segment : wholeSegments) {
            pool.remove(segment);
            device.free(segment.address);
            reserved -= segment.size;
        }
    }

    private static Block probe(long size) {
        return new Block(0, false, Long.MIN_VALUE, size);
    }
}
