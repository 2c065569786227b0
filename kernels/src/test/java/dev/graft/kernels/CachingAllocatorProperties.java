package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** Invariants of {@link CachingAllocator} over random allocate/free sequences, checked after every step. */
class CachingAllocatorProperties {

    private static final long MiB = 1 << 20;

    @Property(tries = 200)
    void liveBlocksNeverOverlapLieInSegmentsAndStatisticsAddUp(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 300) int steps) {
        FakeDeviceMemory device = new FakeDeviceMemory(1L << 40);
        CachingAllocator allocator = new CachingAllocator(device);
        Map<Long, Long> live = new LinkedHashMap<>();
        Random random = new Random(seed);
        long peakAllocated = 0;
        long peakReserved = 0;
        for (int step = 0; step < steps; step++) {
            if (live.isEmpty() || random.nextInt(3) > 0) {
                long bytes = randomSize(random);
                long address = allocator.allocate(bytes);
                assertEquals(0, address % CachingAllocator.ROUND, "512-byte alignment");
                live.put(address, CachingAllocator.roundedSize(bytes));
            } else {
                List<Long> addresses = new ArrayList<>(live.keySet());
                long address = addresses.get(random.nextInt(addresses.size()));
                live.remove(address);
                allocator.free(address);
            }
            checkDisjoint(live);
            checkInsideSegments(live, device.segments());
            CachingAllocator.Statistics s = allocator.statistics();
            long requested = live.values().stream().mapToLong(Long::longValue).sum();
            assertTrue(s.allocated() >= requested, "allocated covers every live request");
            assertTrue(s.allocated() <= s.reserved(), "allocated " + s.allocated() + " <= reserved " + s.reserved());
            assertEquals(device.used(), s.reserved(), "reserved is what the device handed out");
            peakAllocated = Math.max(peakAllocated, s.allocated());
            peakReserved = Math.max(peakReserved, s.reserved());
            assertEquals(peakAllocated, s.peakAllocated());
            assertEquals(peakReserved, s.peakReserved());
        }
        live.keySet().forEach(allocator::free);
        assertEquals(0, allocator.statistics().allocated());
        allocator.emptyCache();
        assertEquals(0, device.used(), "every segment returns once nothing is live");
    }

    /**
     * A freed block leaves a free block at least as large in its pool (merging only grows it), so allocating
     * the same size again never needs the device: what a training step does when it frees an activation and
     * allocates the next step's. (Re-allocating a whole batch of sizes after freeing all of them carries no such
     * guarantee: best fit may place them differently, as it does in PyTorch.)
     */
    @Property(tries = 200)
    void freeingThenAllocatingTheSameSizeReusesTheCache(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 80) int count) {
        FakeDeviceMemory device = new FakeDeviceMemory(1L << 40);
        CachingAllocator allocator = new CachingAllocator(device);
        Random random = new Random(seed);
        Map<Long, Long> live = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            long bytes = randomSize(random);
            live.put(allocator.allocate(bytes), bytes);
        }
        long reserved = allocator.statistics().reserved();
        int calls = device.mallocCalls;
        for (int i = 0; i < 3 * count; i++) {
            List<Long> addresses = new ArrayList<>(live.keySet());
            long address = addresses.get(random.nextInt(addresses.size()));
            long bytes = live.remove(address);
            allocator.free(address);
            live.put(allocator.allocate(bytes), bytes);
            checkDisjoint(live);
        }
        assertEquals(reserved, allocator.statistics().reserved(), "reserved stays flat");
        assertEquals(calls, device.mallocCalls, "no new device allocation");
    }

    @Property(tries = 100)
    void outOfMemoryMessageStatesTheNumbers(@ForAll @LongRange(min = 1, max = 64) long capacityMiB) {
        FakeDeviceMemory device = new FakeDeviceMemory(capacityMiB * MiB);
        CachingAllocator allocator = new CachingAllocator(device);
        long request = capacityMiB * MiB + 1;
        CudaException e = assertThrows(CudaException.class, () -> allocator.allocate(request));
        assertTrue(e.isOutOfMemory());
        assertTrue(e.getMessage().startsWith("allocate(" + request + " bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("allocated 0 bytes, reserved 0 bytes, device free "
                + capacityMiB * MiB + " bytes"), e.getMessage());
    }

    @Test
    void theOverlapCheckerCatchesOverlappingBlocks() {
        Map<Long, Long> overlapping = Map.of(1024L, 1024L, 1536L, 512L);
        assertThrows(AssertionError.class, () -> checkDisjoint(overlapping));
        Map<Long, Long> outside = Map.of(4096L, 1024L);
        assertThrows(AssertionError.class, () -> checkInsideSegments(outside, Map.of(0L, 4096L)));
        checkDisjoint(Map.of(1024L, 512L, 1536L, 512L));
        checkInsideSegments(Map.of(1024L, 3072L), Map.of(0L, 4096L));
    }

    /** Mostly small sizes, some large, a few huge: exercises both pools, splitting and new segments. */
    private static long randomSize(Random random) {
        return switch (random.nextInt(10)) {
            case 0, 1, 2, 3, 4 -> random.nextLong(1, 64 * 1024);
            case 5, 6 -> random.nextLong(64 * 1024, MiB + 1);
            case 7, 8 -> random.nextLong(MiB + 1, 12 * MiB);
            default -> random.nextLong(12 * MiB, 48 * MiB);
        };
    }

    static void checkDisjoint(Map<Long, Long> blocks) {
        List<Map.Entry<Long, Long>> sorted = new ArrayList<>(blocks.entrySet());
        sorted.sort(Map.Entry.comparingByKey());
        for (int i = 1; i < sorted.size(); i++) {
            Map.Entry<Long, Long> before = sorted.get(i - 1);
            Map.Entry<Long, Long> after = sorted.get(i);
            if (before.getKey() + before.getValue() > after.getKey()) {
                throw new AssertionError("blocks overlap: 0x" + Long.toHexString(before.getKey()) + "+"
                        + before.getValue() + " and 0x" + Long.toHexString(after.getKey()));
            }
        }
    }

    static void checkInsideSegments(Map<Long, Long> blocks, Map<Long, Long> segments) {
        for (Map.Entry<Long, Long> block : blocks.entrySet()) {
            boolean inside = segments.entrySet().stream().anyMatch(s -> s.getKey() <= block.getKey()
                    && block.getKey() + block.getValue() <= s.getKey() + s.getValue());
            if (!inside) {
                throw new AssertionError("block 0x" + Long.toHexString(block.getKey()) + "+" + block.getValue()
                        + " lies in no segment");
            }
        }
    }
}
