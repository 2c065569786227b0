package dev.graft.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code View} argument of the strided kernels (graft_common.cuh), passed by value: little-endian int32 rank
 * at byte 0, int64 shape[8] at 8, int64 strides[8] at 72, int64 offset at 136, 144 bytes in all (counted in
 * elements). The operands of one launch share one shape; {@link #of} merges their dimensions jointly first, so a
 * contiguous tensor becomes rank 1 (the kernels' fast path) and fewer divisions run per element.
 */
final class ViewArgument {
    static final int BYTES = 144;
    static final int MAX_RANK = 8;

    private ViewArgument() {
    }

    /**
     * One packed View per operand of a launch over {@code shape}: operand k has {@code strides[k]} and
     * {@code offsets[k]}. Dimensions of size 1 are dropped, and neighbours are merged where every operand steps
     * through them as one. Fails when more than 8 dimensions remain.
     */
    static byte[][] of(int[] shape, long[] offsets, int[]... strides) {
        if (offsets.length != strides.length) {
            throw new IllegalArgumentException("view argument: " + offsets.length + " offsets for " + strides.length
                    + " stride arrays");
        }
        for (int[] s : strides) {
            if (s.length != shape.length) {
                throw new IllegalArgumentException("view argument: strides " + Arrays.toString(s)
                        + " do not match shape " + Arrays.toString(shape));
            }
        }
        List<Integer> dims = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] != 1) {
                dims.add(d);
            }
        }
        List<long[]> merged = new ArrayList<>(); // per kept dim: {size, stride of operand 0, stride of operand 1, ...}
        for (int d : dims) {
            long[] next = new long[strides.length + 1];
            next[0] = shape[d];
            for (int k = 0; k < strides.length; k++) {
                next[k + 1] = strides[k][d];
            }
            long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && mergeable(last, next)) {
                last[0] *= next[0];
                for (int k = 1; k < next.length; k++) {
                    last[k] = next[k];
                }
            } else {
                merged.add(next);
            }
        }
        if (merged.size() > MAX_RANK) {
            throw new IllegalArgumentException("view argument: shape " + Arrays.toString(shape) + " keeps "
                    + merged.size() + " dimensions after merging, the kernels take at most " + MAX_RANK);
        }
        byte[][] out = new byte[strides.length][];
        for (int k = 0; k < strides.length; k++) {
            ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(0, merged.size());
            for (int d = 0; d < merged.size(); d++) {
                b.putLong(8 + 8 * d, merged.get(d)[0]);
                b.putLong(72 + 8 * d, merged.get(d)[k + 1]);
            }
            b.putLong(136, offsets[k]);
            out[k] = b.array();
        }
        return out;
    }

    /** Whether every operand reaches the inner dim's first element again by stepping the outer one once. */
    private static boolean mergeable(long[] outer, long[] inner) {
        for (int k = 1; k < outer.length; k++) {
            if (outer[k] != inner[k] * inner[0]) {
                return false;
            }
        }
        return true;
    }
}
