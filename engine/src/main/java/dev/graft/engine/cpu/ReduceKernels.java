package dev.graft.engine.cpu;

import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

/** Sum and max reductions, and the one-hot scatter that their gradients use. Sums accumulate in double. */
final class ReduceKernels {
    private ReduceKernels() {
    }

    /**
     * Sums {@code x} over the flagged dims into an array laid out as {@code keptShape} (reduced dims of size 1):
     * the accumulator is addressed through a view with stride 0 over the reduced dims.
     */
    static double[] sum(Tensor x, boolean[] reduce, int[] keptShape) {
        double[] acc = new double[Shape.numel(keptShape)];
        int[] accStrides = Shape.contiguousStrides(keptShape);
        for (int i = 0; i < reduce.length; i++) {
            if (reduce[i]) {
                accStrides[i] = 0;
            }
        }
        Tensor target = Tensor.ofStrided(CpuStorage.of(acc), x.shape(), accStrides, 0);
        StridedRows rows = new StridedRows(x.shape(), target, x);
        int n = rows.length;
        int so = rows.innerStrides[0];
        int sx = rows.innerStrides[1];
        CpuStorage s = (CpuStorage) x.storage();
        // Rows can share output elements, so accumulation is sequential.
        rows.forEach(false, off -> {
            int o = off[0];
            int i0 = off[1];
            if (so == 0) {
                double total = 0;
                if (s.f != null) {
                    for (int i = 0; i < n; i++) total += s.f[i0 + i * sx];
                } else {
                    for (int i = 0; i < n; i++) total += s.d[i0 + i * sx];
                }
                acc[o] += total;
            } else if (s.f != null) {
                for (int i = 0; i < n; i++) acc[o + i * so] += s.f[i0 + i * sx];
            } else {
                for (int i = 0; i < n; i++) acc[o + i * so] += s.d[i0 + i * sx];
            }
        });
        return acc;
    }

    /** Maximum along {@code dim} of x: values and first-max indices, both in x's shape with dim of size 1. */
    static void max(Tensor x, int dim, double[] values, long[] indices) {
        int[] shape = x.shape();
        int size = shape[dim];
        int stride = x.stride(dim);
        int[] outer = shape.clone();
        outer[dim] = 1;
        Tensor outerView = Tensor.ofStrided(x.storage(), outer, x.strides(), x.offset());
        Tensor valueView = Tensor.of(CpuStorage.of(values), outer);
        StridedRows rows = new StridedRows(outer, valueView, outerView);
        int n = rows.length;
        int sv = rows.innerStrides[0];
        int sx = rows.innerStrides[1];
        CpuStorage s = (CpuStorage) x.storage();
        rows.forEach(true, off -> {
            for (int r = 0; r < n; r++) {
                int base = off[1] + r * sx;
                double best = s.f != null ? s.f[base] : s.d[base];
                int arg = 0;
                for (int k = 1; k < size && best == best; k++) {
                    double v = s.f != null ? s.f[base + k * stride] : s.d[base + k * stride];
                    if (v > best || v != v) {
                        best = v;
                        arg = k;
                    }
                }
                values[off[0] + r * sv] = best;
                indices[off[0] + r * sv] = arg;
            }
        });
    }

    /** Writes 1 into out (zeroed, contiguous, {@code indices}' shape widened at dim) where the index points. */
    static void oneHot(long[] indices, int[] indexShape, int dim, int size, CpuStorage out) {
        int outer = 1;
        for (int i = 0; i < dim; i++) {
            outer *= indexShape[i];
        }
        int inner = 1;
        for (int i = dim + 1; i < indexShape.length; i++) {
            inner *= indexShape[i];
        }
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                long idx = indices[o * inner + i];
                if (idx < 0 || idx >= size) {
                    throw new IllegalArgumentException("class " + idx + " out of range [0, " + size + ")");
                }
                int at = (o * size + (int) idx) * inner + i;
                if (out.f != null) {
                    out.f[at] = 1f;
                } else {
                    out.d[at] = 1;
                }
            }
        }
    }
}
