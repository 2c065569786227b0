package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ViewArgumentTest {

    /** The kernels' offsetsOf for one operand, read back from the packed bytes. */
    private static long kernelOffset(byte[] view, long i) {
        ByteBuffer b = ByteBuffer.wrap(view).order(ByteOrder.LITTLE_ENDIAN);
        int rank = b.getInt(0);
        long off = b.getLong(136);
        for (int d = rank - 1; d >= 0; d--) {
            long size = b.getLong(8 + 8 * d);
            off += (i % size) * b.getLong(72 + 8 * d);
            i /= size;
        }
        return off;
    }

    /** Reference: the offset of row-major element i of (shape, strides, offset), straight from the definition. */
    private static long referenceOffset(int[] shape, int[] strides, long offset, long i) {
        long off = offset;
        for (int d = shape.length - 1; d >= 0; d--) {
            off += (i % shape[d]) * strides[d];
            i /= shape[d];
        }
        return off;
    }

    private static int rank(byte[] view) {
        return ByteBuffer.wrap(view).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    }

    @Test
    void layoutIsTheKernelsStruct() {
        byte[] v = ViewArgument.of(new int[] {2, 3}, new long[] {5}, new int[] {1, 2})[0];
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(144, v.length);
        assertEquals(2, b.getInt(0));
        assertEquals(0, b.getInt(4));
        assertEquals(2, b.getLong(8));
        assertEquals(3, b.getLong(16));
        assertEquals(1, b.getLong(72));
        assertEquals(2, b.getLong(80));
        assertEquals(5, b.getLong(136));
    }

    @Test
    void contiguousAndBroadcastOperandsMergeAsFarAsTheyAllAllow() {
        int[] shape = {4, 3, 5};
        byte[][] both = ViewArgument.of(shape, new long[] {0, 7}, new int[] {15, 5, 1}, new int[] {15, 5, 1});
        assertEquals(1, rank(both[0]));
        // A per-channel broadcast [1, 3, 1] keeps the channel dimension apart.
        byte[][] bcast = ViewArgument.of(shape, new long[] {0, 0}, new int[] {15, 5, 1}, new int[] {0, 1, 0});
        assertEquals(3, rank(bcast[0]));
        // A transposed operand prevents any merge.
        byte[][] transposed = ViewArgument.of(new int[] {3, 4}, new long[] {0, 0}, new int[] {4, 1}, new int[] {1, 3});
        assertEquals(2, rank(transposed[1]));
    }

    @Test
    void everyElementLandsWhereTheOriginalViewPutsIt() {
        Random random = new Random(9);
        for (int trial = 0; trial < 500; trial++) {
            int rank = random.nextInt(7);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) {
                shape[d] = 1 + random.nextInt(4);
            }
            int[][] strides = new int[2][rank];
            long[] offsets = {random.nextInt(10), random.nextInt(10)};
            for (int k = 0; k < 2; k++) {
                int step = 1;
                for (int d = rank - 1; d >= 0; d--) {
                    int kind = random.nextInt(4);
                    strides[k][d] = kind == 0 ? 0 : kind == 1 ? step * 2 : step;
                    step *= shape[d] * 2;
                }
            }
            byte[][] views = ViewArgument.of(shape, offsets, strides);
            long n = 1;
            for (int s : shape) {
                n *= s;
            }
            for (long i = 0; i < n; i++) {
                for (int k = 0; k < 2; k++) {
                    assertEquals(referenceOffset(shape, strides[k], offsets[k], i), kernelOffset(views[k], i),
                            "element " + i + " of operand " + k);
                }
            }
        }
    }

    @Test
    void aWrongMergeWouldBeCaught() {
        int[] shape = {3, 4};
        int[] strides = {1, 3};
        byte[] merged = ViewArgument.of(new int[] {12}, new long[] {0}, new int[] {1})[0];
        assertNotEquals(referenceOffset(shape, strides, 0, 1), kernelOffset(merged, 1));
    }

    @Test
    void refusesMoreThanEightDimensions() {
        int[] shape = new int[9];
        int[] strides = new int[9];
        for (int d = 0; d < 9; d++) {
            shape[d] = 2;
            strides[d] = 1 << (2 * (8 - d)); // gaps everywhere, so nothing merges
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ViewArgument.of(shape, new long[] {0}, strides));
        assertTrue(e.getMessage().contains("at most 8"), e.getMessage());
    }
}
