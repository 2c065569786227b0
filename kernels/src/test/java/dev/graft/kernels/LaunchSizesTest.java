package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class LaunchSizesTest {

    @Test
    void reductionGridsFollowTheReadme() {
        assertEquals(7, LaunchSizes.sumGridX(true, 7, 100_000), "a block per row");
        assertEquals(4, LaunchSizes.sumGridX(false, 100_000, 97), "a block per 32-column tile");
        assertEquals(1, LaunchSizes.sumGridX(false, 5, 0), "never an empty grid");
        assertEquals(Integer.MAX_VALUE, LaunchSizes.sumGridX(true, 1L << 40, 1), "capped; the kernel strides");
        assertEquals(4, LaunchSizes.maxMiddleBlocks(30, 1), "30 rows, a warp each, 8 warps a block");
        assertEquals(2, LaunchSizes.maxMiddleBlocks(3, 100), "300 outputs, a thread each");
        assertEquals(65535, LaunchSizes.crossEntropyBlocks(1_000_000));
        assertEquals(3, LaunchSizes.crossEntropyBlocks(3));
        assertEquals(32, LaunchSizes.crossEntropyThreads(64));
        assertEquals(256, LaunchSizes.crossEntropyThreads(65));
    }

    /** Every output gets its warp or thread (up to the cap, beyond which the kernels' loops stride). */
    @Property(tries = 200)
    void maxMiddleCoversEveryOutput(@ForAll @LongRange(min = 1, max = 1L << 30) long outer,
                                    @ForAll @LongRange(min = 1, max = 4096) long inner) {
        long blocks = LaunchSizes.maxMiddleBlocks(outer, inner);
        long threads = blocks * LaunchSizes.BLOCK;
        long needed = inner == 1 ? outer * 32 : outer * inner;
        assertTrue(threads >= needed || blocks == Integer.MAX_VALUE, blocks + " blocks for " + needed);
        assertTrue(threads - needed < LaunchSizes.BLOCK || needed < LaunchSizes.BLOCK, "no idle block");
    }

    @Test
    void optimizerChunksAreWholeWarpsPerThread() {
        assertEquals(0, LaunchSizes.OPTIMIZER_CHUNK % LaunchSizes.BLOCK, "every thread of a chunk has equal work");
        assertEquals(1, LaunchSizes.optimizerBlocks(0));
        assertEquals(1234, LaunchSizes.optimizerBlocks(1234));
    }
}
