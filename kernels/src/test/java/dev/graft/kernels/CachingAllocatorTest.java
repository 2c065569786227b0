package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CachingAllocatorTest {

    private static final long MiB = 1 << 20;

    @Test
    void roundsTo512Bytes() {
        assertEquals(512, CachingAllocator.roundedSize(0));
        assertEquals(512, CachingAllocator.roundedSize(1));
        assertEquals(512, CachingAllocator.roundedSize(512));
        assertEquals(1024, CachingAllocator.roundedSize(513));
        assertEquals(3 * MiB, CachingAllocator.roundedSize(3 * MiB));
    }

    @Test
    void smallRequestsShareOneTwoMegabyteSegment() {
        FakeDeviceMemory device = new FakeDeviceMemory(1L << 30);
        CachingAllocator allocator = new CachingAllocator(device);
        long a = allocator.allocate(1000);
        long b = allocator.allocate(MiB);
        assertEquals(1, device.mallocCalls);
        assertEquals(Map.of(a, 2 * MiB), device.segments());
        assertEquals(a + 1024, b, "the second block is split off right after the first");
        assertEquals(new CachingAllocator.Statistics(1024 + MiB, 2 * MiB, 1024 + MiB, 2 * MiB), allocator.statistics());
    }

    @Test
    void largeRequestsGetTwentyMegabyteSegmentsOrTheirOwnRoundedToTwo() {
        FakeDeviceMemory device = new FakeDeviceMemory(1L << 30);
        CachingAllocator allocator = new CachingAllocator(device);
        allocator.allocate(MiB + 1);
        allocator.allocate(21 * MiB + 1);
        assertEquals(List.of(20 * MiB, 22 * MiB), List.copyOf(device.segments().values()));
    }

    @Test
    void freedNeighboursMergeSoALargerRequestFitsWithoutNewSegment() {
        FakeDeviceMemory device = new FakeDeviceMemory(1L << 30);
        CachingAllocator allocator = new CachingAllocator(device);
        long a = allocator.allocate(4 * MiB);
        long b = allocator.allocate(4 * MiB);
        long c = allocator.allocate(4 * MiB);
        allocator.free(a);
        allocator.free(c);
        allocator.free(b);
        long whole = allocator.allocate(20 * MiB - 512);
        assertEquals(a, whole, "a, b, c and the tail merged back into the whole segment");
        assertEquals(1, device.mallocCalls);
    }

    @Test
    void bestFitPicksTheSmallestFreeBlockThatFits() {
        FakeDeviceMemory device = new FakeDeviceMemory(1L << 30);
        CachingAllocator allocator = new CachingAllocator(device);
        long big = allocator.allocate(8 * MiB);
        long keep1 = allocator.allocate(2 * MiB);
        long mid = allocator.allocate(3 * MiB);
        long keep2 = allocator.allocate(2 * MiB);
        allocator.free(big);
        allocator.free(mid);
        assertEquals(mid, allocator.allocate(3 * MiB - 4096), "the 3 MiB hole fits better than the 8 MiB one");
        assertNotEquals(keep1, keep2);
    }

    @Test
    void outOfMemoryReleasesCachedSegmentsAndRetriesOnce() {
        FakeDeviceMemory device = new FakeDeviceMemory(40 * MiB);
        CachingAllocator allocator = new CachingAllocator(device);
        long a = allocator.allocate(30 * MiB);
        allocator.free(a);
        assertEquals(30 * MiB, device.used(), "freed memory stays cached");
        long b = allocator.allocate(32 * MiB);
        assertEquals(32 * MiB, device.used(), "the cached 30 MiB segment went back to make room");
        assertEquals(32 * MiB, allocator.statistics().reserved());
        assertTrue(b != 0);
    }

    @Test
    void outOfMemoryLetsTheOwnerReclaimUnreachableBlocksAndRetries() {
        FakeDeviceMemory device = new FakeDeviceMemory(40 * MiB);
        long[] unreachable = new long[1];
        CachingAllocator[] self = new CachingAllocator[1];
        int[] reclaims = new int[1];
        self[0] = new CachingAllocator(device, () -> {
            reclaims[0]++;
            self[0].free(unreachable[0]);
        });
        unreachable[0] = self[0].allocate(30 * MiB);
        long b = self[0].allocate(16 * MiB);
        assertTrue(b != 0);
        assertEquals(1, reclaims[0]);
        assertEquals(16 * MiB, self[0].statistics().allocated());
        CachingAllocator without = new CachingAllocator(new FakeDeviceMemory(40 * MiB));
        without.allocate(30 * MiB);
        assertThrows(CudaException.class, () -> without.allocate(16 * MiB), "no owner to reclaim: out of memory");
    }

    @Test
    void outOfMemoryAfterRetryNamesRequestedAllocatedAndReservedBytes() {
        FakeDeviceMemory device = new FakeDeviceMemory(40 * MiB);
        CachingAllocator allocator = new CachingAllocator(device);
        allocator.allocate(30 * MiB);
        CudaException e = assertThrows(CudaException.class, () -> allocator.allocate(16 * MiB));
        assertTrue(e.isOutOfMemory());
        assertEquals("allocate(16777216 bytes, segment of 16777216 bytes): allocated 31457280 bytes, reserved"
                + " 31457280 bytes, device free 10485760 bytes: CUDA_ERROR_OUT_OF_MEMORY (2)", e.getMessage());
        assertEquals(2, device.mallocCalls - 1, "one try and one retry after the first segment");
    }

    @Test
    void emptyCacheReleasesOnlyWhollyFreeSegments() {
        FakeDeviceMemory device = new FakeDeviceMemory(1L << 30);
        CachingAllocator allocator = new CachingAllocator(device);
        long a = allocator.allocate(100);
        long b = allocator.allocate(100);
        long large = allocator.allocate(30 * MiB);
        allocator.free(a);
        allocator.free(large);
        allocator.emptyCache();
        assertEquals(2 * MiB, device.used(), "the small segment still holds b");
        allocator.free(b);
        allocator.emptyCache();
        assertEquals(0, device.used());
        assertEquals(new CachingAllocator.Statistics(0, 0, 512 * 2 + 30 * MiB, 32 * MiB), allocator.statistics());
    }

    @Test
    void resetPeaksStartsFromCurrentUsage() {
        CachingAllocator allocator = new CachingAllocator(new FakeDeviceMemory(1L << 30));
        long a = allocator.allocate(5 * MiB);
        allocator.allocate(MiB);
        allocator.free(a);
        allocator.resetPeaks();
        CachingAllocator.Statistics s = allocator.statistics();
        assertEquals(s.allocated(), s.peakAllocated());
        assertEquals(s.reserved(), s.peakReserved());
    }

    @Test
    void rejectsFreeOfUnknownOrAlreadyFreedAddress() {
        CachingAllocator allocator = new CachingAllocator(new FakeDeviceMemory(1L << 30));
        long a = allocator.allocate(10);
        allocator.free(a);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> allocator.free(a));
        assertTrue(e.getMessage().contains(Long.toHexString(a)), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> allocator.allocate(-1));
    }

    @Test
    void workspaceOnlyGrowsAndReusesItsBuffer() {
        FakeDeviceMemory device = new FakeDeviceMemory(1L << 30);
        CachingAllocator allocator = new CachingAllocator(device);
        try (Workspace workspace = new Workspace(allocator)) {
            assertEquals(0, workspace.reserve(0));
            long first = workspace.reserve(3 * MiB);
            assertEquals(first, workspace.reserve(MiB), "a smaller request reuses the buffer");
            assertEquals(3 * MiB, workspace.capacity());
            workspace.reserve(5 * MiB);
            assertEquals(5 * MiB, workspace.capacity());
            assertEquals(5 * MiB, allocator.statistics().allocated(), "the old buffer went back to the allocator");
        }
        assertEquals(0, allocator.statistics().allocated());
    }
}
