package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TensorChunksTest {

    @Test
    void cutsEachTensorInOrder() {
        assertArrayEquals(new long[] {1, 0, 1, 4, 2, 0, 2, 4, 2, 8, 3, 0},
                TensorChunks.table(new long[] {0, 5, 10, 1}, 4));
    }

    /** Replays the kernels' chunkAt: every element of every tensor is visited exactly once. */
    @Test
    void chunksCoverEveryElementOnce() {
        Random random = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            long[] sizes = new long[1 + random.nextInt(6)];
            for (int t = 0; t < sizes.length; t++) {
                sizes[t] = random.nextInt(40);
            }
            long chunkSize = 1 + random.nextInt(16);
            long[] table = TensorChunks.table(sizes, chunkSize);
            int[][] visits = new int[sizes.length][];
            for (int t = 0; t < sizes.length; t++) {
                visits[t] = new int[(int) sizes[t]];
            }
            for (int k = 0; k < table.length / 2; k++) {
                int t = (int) table[2 * k];
                long from = table[2 * k + 1];
                for (long i = from; i < Math.min(sizes[t], from + chunkSize); i++) {
                    visits[t][(int) i]++;
                }
            }
            for (int[] v : visits) {
                for (int count : v) {
                    assertEquals(1, count);
                }
            }
        }
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> TensorChunks.table(new long[] {3}, 0));
        assertThrows(IllegalArgumentException.class, () -> TensorChunks.table(new long[] {-1}, 4));
    }
}
