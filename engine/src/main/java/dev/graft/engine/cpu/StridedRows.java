package dev.graft.engine.cpu;

import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Iteration over several same-shaped strided operands, row by row. Dimensions of size 1 are dropped and
 * adjacent dimensions that are contiguous for every operand are merged, so a contiguous or simply broadcast
 * operation becomes a few long rows; the kernels then run tight loops over each row.
 */
final class StridedRows {
    /** One row: {@code offsets[k]} is operand k's start; the row has {@link #length} elements. */
    @FunctionalInterface
    interface RowBody {
        void row(int[] offsets);
    }

    final int length;
    final int[] innerStrides;
    private final int[] outerShape;
    private final int[][] outerStrides;
    private final int[] base;

    StridedRows(int[] shape, Tensor... operands) {
        int k = operands.length;
        List<int[]> dims = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) {
                continue;
            }
            int[] strides = new int[k];
            for (int j = 0; j < k; j++) {
                strides[j] = operands[j].stride(i);
            }
            if (!dims.isEmpty()) {
                int[] last = dims.getLast();
                boolean merge = true;
                for (int j = 0; j < k; j++) {
                    merge &= last[1 + j] == strides[j] * shape[i];
                }
                if (merge) {
                    last[0] *= shape[i];
                    for (int j = 0; j < k; j++) {
                        last[1 + j] = strides[j];
                    }
                    continue;
                }
            }
            int[] d = new int[k + 1];
            d[0] = shape[i];
            System.arraycopy(strides, 0, d, 1, k);
            dims.add(d);
        }
        if (dims.isEmpty()) {
            int[] d = new int[k + 1];
            d[0] = Shape.numel(shape);
            dims.add(d);
        }
        int r = dims.size();
        int[] inner = dims.get(r - 1);
        length = inner[0];
        innerStrides = new int[k];
        System.arraycopy(inner, 1, innerStrides, 0, k);
        outerShape = new int[r - 1];
        outerStrides = new int[k][r - 1];
        for (int i = 0; i < r - 1; i++) {
            outerShape[i] = dims.get(i)[0];
            for (int j = 0; j < k; j++) {
                outerStrides[j][i] = dims.get(i)[1 + j];
            }
        }
        base = new int[k];
        for (int j = 0; j < k; j++) {
            base[j] = operands[j].offset();
        }
    }

    int rows() {
        return length == 0 ? 0 : Shape.numel(outerShape);
    }

    /** Runs {@code body} for every row, in parallel when there is enough work and {@code parallel} allows. */
    void forEach(boolean parallel, RowBody body) {
        int rows = rows();
        int grain = parallel ? Math.max(1, (1 << 15) / Math.max(1, length)) : Integer.MAX_VALUE;
        Parallel.forRange(rows, grain, (from, to) -> {
            int r = outerShape.length;
            int[] index = new int[r];
            int[] offsets = base.clone();
            int rem = from;
            for (int i = r - 1; i >= 0; i--) {
                index[i] = rem % outerShape[i];
                rem /= outerShape[i];
                for (int j = 0; j < offsets.length; j++) {
                    offsets[j] += index[i] * outerStrides[j][i];
                }
            }
            for (int row = from; row < to; row++) {
                body.row(offsets);
                for (int i = r - 1; i >= 0; i--) {
                    index[i]++;
                    for (int j = 0; j < offsets.length; j++) {
                        offsets[j] += outerStrides[j][i];
                    }
                    if (index[i] < outerShape[i]) {
                        break;
                    }
                    for (int j = 0; j < offsets.length; j++) {
                        offsets[j] -= outerShape[i] * outerStrides[j][i];
                    }
                    index[i] = 0;
                }
            }
        });
    }
}
