package dev.graft.kernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How a sum over an arbitrary set of dimensions runs on the reduce kernels, which only sum a dense
 * {@code [rows, cols]} matrix along one side: {@code sum_last} over the columns (a block per row) or
 * {@code sum_first} over the rows (a thread per column). Dimensions of size 1 play no part. A contiguous input
 * whose reduced dimensions already form a prefix or a suffix is summed where it lies; anything else is first
 * copied as {@code x.permute(permutation)}, the reduced dimensions moved last when they hold at least as many
 * elements as the kept ones (long rows: a block each) and first otherwise (many outputs: a thread each). Long
 * reductions with few outputs are split into {@code parts} partial sums per output, then finished by a second
 * launch over {@code [outputs, parts]}; a sum that reduces nothing (only dimensions of size 1) is a copy.
 *
 * @param permutation the dimension order of the dense copy to sum, or null to sum the input as it lies
 * @param last        whether the reduced elements are the columns (sum_last) rather than the rows (sum_first)
 * @param rows        rows of the matrix summed
 * @param cols        columns of the matrix summed
 * @param parts       partial sums per output in the first launch (1: no second launch)
 * @param copyOnly    nothing is reduced: the result is the input's elements
 */
record SumPlan(int[] permutation, boolean last, long rows, long cols, int parts, boolean copyOnly) {
    /** Blocks a first launch aims for before parts are added (a few waves of a large GPU's SMs). */
    static final long TARGET_BLOCKS = 1024;
    /** Fewest elements a sum_last part sums (16 per thread of a 256-thread block). */
    static final long MIN_PART_COLS = 4096;
    /** Fewest rows a sum_first part sums (32 per row lane of a 32x8 block). */
    static final long MIN_PART_ROWS = 256;
    /** Largest grid y dimension, which counts the parts. */
    static final int MAX_PARTS = 65535;

    /** The plan for a non-empty input of {@code shape}, laid out contiguously or not, summed where flagged. */
    static SumPlan of(int[] shape, boolean contiguous, boolean[] reduce) {
        if (reduce.length != shape.length) {
            throw new IllegalArgumentException("sum: reduce flags " + Arrays.toString(reduce) + " do not match shape "
                    + Arrays.toString(shape));
        }
        List<Integer> kept = new ArrayList<>();
        List<Integer> reduced = new ArrayList<>();
        long keptCount = 1;
        long reducedCount = 1;
        for (int d = 0; d < shape.length; d++) {
            if (reduce[d]) {
                reduced.add(d);
                reducedCount *= shape[d];
            } else {
                kept.add(d);
                keptCount *= shape[d];
            }
        }
        if (reducedCount == 1) {
            return new SumPlan(null, true, keptCount, 1, 1, true);
        }
        int order = contiguous ? layout(shape, reduce) : 0;
        if (order != 0) {
            boolean last = order > 0;
            return sized(null, last, keptCount, reducedCount);
        }
        boolean last = reducedCount >= keptCount;
        List<Integer> perm = new ArrayList<>(last ? kept : reduced);
        perm.addAll(last ? reduced : kept);
        return sized(perm.stream().mapToInt(Integer::intValue).toArray(), last, keptCount, reducedCount);
    }

    /**
     * +1 when the reduced dimensions of size > 1 all come after the kept ones, -1 when all before, 0 when
     * they interleave; +1 when no kept dimension has size > 1 (a full reduction sums one row).
     */
    private static int layout(int[] shape, boolean[] reduce) {
        boolean seenReduced = false;
        boolean keptAfterReduced = false;
        boolean seenKept = false;
        boolean reducedAfterKept = false;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (reduce[d]) {
                reducedAfterKept |= seenKept;
                seenReduced = true;
            } else {
                keptAfterReduced |= seenReduced;
                seenKept = true;
            }
        }
        if (!keptAfterReduced) {
            return 1;
        }
        return reducedAfterKept ? 0 : -1;
    }

    private static SumPlan sized(int[] permutation, boolean last, long keptCount, long reducedCount) {
        long rows = last ? keptCount : reducedCount;
        long cols = last ? reducedCount : keptCount;
        long blocks = last ? rows : (cols + 31) / 32;
        long longest = last ? cols / MIN_PART_COLS : rows / MIN_PART_ROWS;
        long parts = 1;
        if (blocks < TARGET_BLOCKS && longest >= 2) {
            parts = Math.min(Math.min((TARGET_BLOCKS + blocks - 1) / blocks, longest), MAX_PARTS);
        }
        return new SumPlan(permutation, last, rows, cols, (int) parts, false);
    }

    /** The number of outputs, which the kept dimensions hold. */
    long outputs() {
        return last ? rows : cols;
    }
}
