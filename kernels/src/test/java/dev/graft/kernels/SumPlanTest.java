package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.Backends;
import dev.graft.engine.Tensor;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SumPlanTest {

    /**
     * Runs a plan on the host as the GPU would: the dense copy x.permute(permutation) (or x itself), the first
     * launch's partial sums with the kernels' part chunks, then the second launch over the parts.
     */
    static double[] replay(SumPlan plan, Tensor x) {
        Tensor src = plan.permutation() == null ? x : x.permute(plan.permutation()).contiguous();
        double[] data = src.toDoubleArray();
        if (plan.copyOnly()) {
            return data;
        }
        long rows = plan.rows();
        long cols = plan.cols();
        int parts = plan.parts();
        double[] partial = new double[Math.toIntExact(plan.outputs() * parts)];
        if (plan.last()) {
            long chunk = (cols + parts - 1) / parts;
            for (int r = 0; r < rows; r++) {
                for (int p = 0; p < parts; p++) {
                    for (long c = p * chunk; c < Math.min(cols, (p + 1) * chunk); c++) {
                        partial[r * parts + p] += data[(int) (r * cols + c)];
                    }
                }
            }
        } else {
            long chunk = (rows + parts - 1) / parts;
            for (int p = 0; p < parts; p++) {
                for (long r = p * chunk; r < Math.min(rows, (p + 1) * chunk); r++) {
                    for (int c = 0; c < cols; c++) {
                        partial[(int) (p * cols + c)] += data[(int) (r * cols + c)];
                    }
                }
            }
        }
        double[] out = new double[(int) plan.outputs()];
        for (int o = 0; o < out.length; o++) {
            for (int p = 0; p < parts; p++) {
                out[o] += plan.last() ? partial[o * parts + p] : partial[p * out.length + o];
            }
        }
        return out;
    }

    private static Tensor random(Random rnd, int[] shape, boolean transposed) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = rnd.nextInt(201) - 100; // integers: every order of summation is exact
        }
        if (!transposed || shape.length < 2) {
            return Tensor.of(values, shape);
        }
        // The same shape, stored with the first two dimensions swapped: a non-contiguous view.
        int[] swapped = shape.clone();
        swapped[0] = shape[1];
        swapped[1] = shape[0];
        return Tensor.of(values, swapped).transpose(0, 1);
    }

    @Property(tries = 200)
    void everyPlanSumsWhatTheCpuSums(@ForAll @IntRange(min = 1, max = 5) int rank, @ForAll long seed) {
        Random rnd = new Random(seed);
        int[] shape = new int[rank];
        boolean[] reduce = new boolean[rank];
        for (int d = 0; d < rank; d++) {
            shape[d] = rnd.nextInt(4) == 0 ? 1 : 1 + rnd.nextInt(9);
            reduce[d] = rnd.nextBoolean();
        }
        if (rank <= 3 && rnd.nextBoolean()) {
            shape[rnd.nextInt(rank)] = 1 + rnd.nextInt(12_000); // long enough to be split into parts
        }
        Tensor x = random(rnd, shape, rnd.nextBoolean());
        SumPlan plan = SumPlan.of(x.shape(), x.isContiguous(), reduce);
        double[] expected = Backends.cpu().sum(x, reduce).toDoubleArray();
        assertArrayEquals(expected, replay(plan, x), plan.toString());
    }

    @Test
    void theReplayCatchesAPlanSummingTheWrongSide() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        boolean[] reduce = {false, true};
        SumPlan plan = SumPlan.of(x.shape(), true, reduce);
        SumPlan flipped = new SumPlan(plan.permutation(), !plan.last(), plan.cols(), plan.rows(), 1, false);
        double[] expected = Backends.cpu().sum(x, reduce).toDoubleArray();
        assertArrayEquals(new double[] {6, 15}, expected);
        assertFalse(Arrays.equals(expected, replay(flipped, x)));
    }

    @Test
    void contiguousPrefixAndSuffixAreSummedWhereTheyLie() {
        SumPlan suffix = SumPlan.of(new int[] {4, 5, 6}, true, new boolean[] {false, true, true});
        assertNull(suffix.permutation());
        assertTrue(suffix.last());
        assertEquals(4, suffix.rows());
        assertEquals(30, suffix.cols());

        SumPlan prefix = SumPlan.of(new int[] {64, 10}, true, new boolean[] {true, false});
        assertNull(prefix.permutation());
        assertFalse(prefix.last());
        assertEquals(64, prefix.rows());
        assertEquals(10, prefix.cols());

        // Size-1 dimensions do not break a prefix: [N, 1, C] summed over N and the 1.
        SumPlan withOnes = SumPlan.of(new int[] {8, 1, 3}, true, new boolean[] {true, false, false});
        assertNull(withOnes.permutation());
        assertFalse(withOnes.last());
    }

    @Test
    void interleavedDimensionsAreCopiedWithTheLargerSideLast() {
        // Batch-norm style [N, C, H, W] -> [1, C, 1, 1]: many reduced elements per output, so reduced last.
        SumPlan channels = SumPlan.of(new int[] {8, 16, 7, 7}, true, new boolean[] {true, false, true, true});
        assertArrayEquals(new int[] {1, 0, 2, 3}, channels.permutation());
        assertTrue(channels.last());
        assertEquals(16, channels.rows());
        assertEquals(8 * 49, channels.cols());

        // Few reduced elements per output: reduced first, a thread per output column.
        SumPlan wide = SumPlan.of(new int[] {50, 2, 40}, true, new boolean[] {false, true, false});
        assertArrayEquals(new int[] {1, 0, 2}, wide.permutation());
        assertFalse(wide.last());
        assertEquals(2, wide.rows());
        assertEquals(2000, wide.cols());

        // A non-contiguous input is always copied, even when its flags form a suffix.
        SumPlan strided = SumPlan.of(new int[] {3, 4}, false, new boolean[] {false, true});
        assertArrayEquals(new int[] {0, 1}, strided.permutation());
    }

    @Test
    void longReductionsWithFewOutputsAreSplitIntoParts() {
        SumPlan full = SumPlan.of(new int[] {25_000_000}, true, new boolean[] {true});
        assertTrue(full.last());
        assertEquals(1, full.rows());
        assertEquals(SumPlan.TARGET_BLOCKS, full.parts());

        SumPlan shortRows = SumPlan.of(new int[] {4, 5000}, true, new boolean[] {false, true});
        assertEquals(1, shortRows.parts(), "5000 columns make one part of at least 4096");

        SumPlan tallColumns = SumPlan.of(new int[] {1_000_000, 64}, true, new boolean[] {true, false});
        assertFalse(tallColumns.last());
        assertEquals(SumPlan.TARGET_BLOCKS / 2, tallColumns.parts(), "2 column tiles fill 1024 blocks with 512 parts");

        SumPlan manyRows = SumPlan.of(new int[] {4096, 10_000}, true, new boolean[] {false, true});
        assertEquals(1, manyRows.parts(), "4096 rows already fill the GPU");
    }

    @Test
    void sizeOneReductionsAreCopies() {
        SumPlan plan = SumPlan.of(new int[] {3, 1, 4}, true, new boolean[] {false, true, false});
        assertTrue(plan.copyOnly());
        assertEquals(12, plan.outputs());
    }

    @Test
    void mismatchedFlagsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SumPlan.of(new int[] {2, 3}, true, new boolean[] {true}));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
    }
}
