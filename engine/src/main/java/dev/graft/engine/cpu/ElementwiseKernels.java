package dev.graft.engine.cpu;

import dev.graft.engine.BinaryOp;
import dev.graft.engine.Tensor;
import dev.graft.engine.UnaryOp;

/**
 * Elementwise loops for F32 and F64. Each op is a tight loop over contiguous data; strided or broadcast
 * operands are first gathered row by row into a small contiguous buffer (see {@link StridedRows}).
 */
final class ElementwiseKernels {
    private static final int GRAIN = 1 << 15;

    private ElementwiseKernels() {
    }

    // ---------------------------------------------------------------- unary (contiguous input)

    static void unary(UnaryOp op, float[] x, float[] y, double a, double b) {
        float fa = (float) a;
        float fb = (float) b;
        Parallel.forRange(x.length, GRAIN, (from, to) -> {
            switch (op) {
                case NEG -> { for (int i = from; i < to; i++) y[i] = -x[i]; }
                case EXP -> { for (int i = from; i < to; i++) y[i] = (float) Math.exp(x[i]); }
                case LOG -> { for (int i = from; i < to; i++) y[i] = (float) Math.log(x[i]); }
                case SQRT -> { for (int i = from; i < to; i++) y[i] = (float) Math.sqrt(x[i]); }
                case ABS -> { for (int i = from; i < to; i++) y[i] = Math.abs(x[i]); }
                case SIGN -> { for (int i = from; i < to; i++) y[i] = Math.signum(x[i]); }
                case RELU -> { for (int i = from; i < to; i++) y[i] = x[i] > 0 ? x[i] : x[i] != x[i] ? x[i] : 0f; }
                case POW -> { for (int i = from; i < to; i++) y[i] = (float) Math.pow(x[i], a); }
                case CLAMP -> { for (int i = from; i < to; i++) y[i] = x[i] != x[i] ? x[i] : Math.min(Math.max(x[i], fa), fb); }
                case AFFINE -> { for (int i = from; i < to; i++) y[i] = fa * x[i] + fb; }
                case GREATER -> { for (int i = from; i < to; i++) y[i] = x[i] > a ? 1f : 0f; }
                case BETWEEN -> { for (int i = from; i < to; i++) y[i] = x[i] >= a && x[i] <= b ? 1f : 0f; }
            }
        });
    }

    static void unary(UnaryOp op, double[] x, double[] y, double a, double b) {
        Parallel.forRange(x.length, GRAIN, (from, to) -> {
            switch (op) {
                case NEG -> { for (int i = from; i < to; i++) y[i] = -x[i]; }
                case EXP -> { for (int i = from; i < to; i++) y[i] = Math.exp(x[i]); }
                case LOG -> { for (int i = from; i < to; i++) y[i] = Math.log(x[i]); }
                case SQRT -> { for (int i = from; i < to; i++) y[i] = Math.sqrt(x[i]); }
                case ABS -> { for (int i = from; i < to; i++) y[i] = Math.abs(x[i]); }
                case SIGN -> { for (int i = from; i < to; i++) y[i] = Math.signum(x[i]); }
                case RELU -> { for (int i = from; i < to; i++) y[i] = x[i] > 0 ? x[i] : x[i] != x[i] ? x[i] : 0; }
                case POW -> { for (int i = from; i < to; i++) y[i] = Math.pow(x[i], a); }
                case CLAMP -> { for (int i = from; i < to; i++) y[i] = x[i] != x[i] ? x[i] : Math.min(Math.max(x[i], a), b); }
                case AFFINE -> { for (int i = from; i < to; i++) y[i] = a * x[i] + b; }
                case GREATER -> { for (int i = from; i < to; i++) y[i] = x[i] > a ? 1 : 0; }
                case BETWEEN -> { for (int i = from; i < to; i++) y[i] = x[i] >= a && x[i] <= b ? 1 : 0; }
            }
        });
    }

    // ---------------------------------------------------------------- binary and where (strided inputs)

    /** out (contiguous) = a op b, where a and b share out's shape. */
    static void binary(BinaryOp op, Tensor out, Tensor a, Tensor b) {
        StridedRows rows = new StridedRows(out.shape(), out, a, b);
        int n = rows.length;
        int sa = rows.innerStrides[1];
        int sb = rows.innerStrides[2];
        CpuStorage so = (CpuStorage) out.storage();
        CpuStorage ca = (CpuStorage) a.storage();
        CpuStorage cb = (CpuStorage) b.storage();
        if (so.f != null) {
            ThreadLocal<float[][]> buffers = ThreadLocal.withInitial(() -> new float[][] {new float[n], new float[n]});
            rows.forEach(true, off -> {
                float[][] buf = buffers.get();
                float[] ra = rowOf(ca.f, off[1], sa, n, buf[0]);
                int ao = sa == 1 ? off[1] : 0;
                float[] rb = rowOf(cb.f, off[2], sb, n, buf[1]);
                int bo = sb == 1 ? off[2] : 0;
                binaryRow(op, ra, ao, rb, bo, so.f, off[0], n);
            });
        } else {
            ThreadLocal<double[][]> buffers = ThreadLocal.withInitial(() -> new double[][] {new double[n], new double[n]});
            rows.forEach(true, off -> {
                double[][] buf = buffers.get();
                double[] ra = rowOf(ca.d, off[1], sa, n, buf[0]);
                int ao = sa == 1 ? off[1] : 0;
                double[] rb = rowOf(cb.d, off[2], sb, n, buf[1]);
                int bo = sb == 1 ? off[2] : 0;
                binaryRow(op, ra, ao, rb, bo, so.d, off[0], n);
            });
        }
    }

    private static void binaryRow(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + b[bo + i]; }
            case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - b[bo + i]; }
            case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * b[bo + i]; }
            case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] / b[bo + i]; }
            case EQUAL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] == b[bo + i] ? 1f : 0f; }
            case GREATER -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] > b[bo + i] ? 1f : 0f; }
        }
    }

    private static void binaryRow(BinaryOp op, double[] a, int ao, double[] b, int bo, double[] o, int oo, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + b[bo + i]; }
            case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - b[bo + i]; }
            case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * b[bo + i]; }
            case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] / b[bo + i]; }
            case EQUAL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] == b[bo + i] ? 1 : 0; }
            case GREATER -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] > b[bo + i] ? 1 : 0; }
        }
    }

    /** out (contiguous) = cond != 0 ? a : b; cond may be of any dtype. */
    static void where(Tensor out, Tensor cond, Tensor a, Tensor b) {
        Tensor c = cond.dtype() == out.dtype() ? cond : CpuBackend.INSTANCE.convert(cond, out.dtype());
        StridedRows rows = new StridedRows(out.shape(), out, c, a, b);
        int n = rows.length;
        int[] s = rows.innerStrides;
        CpuStorage so = (CpuStorage) out.storage();
        CpuStorage sc = (CpuStorage) c.storage();
        CpuStorage sa = (CpuStorage) a.storage();
        CpuStorage sb = (CpuStorage) b.storage();
        rows.forEach(true, off -> {
            if (so.f != null) {
                for (int i = 0; i < n; i++) {
                    so.f[off[0] + i] = sc.f[off[1] + i * s[1]] != 0 ? sa.f[off[2] + i * s[2]] : sb.f[off[3] + i * s[3]];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    so.d[off[0] + i] = sc.d[off[1] + i * s[1]] != 0 ? sa.d[off[2] + i * s[2]] : sb.d[off[3] + i * s[3]];
                }
            }
        });
    }

    private static float[] rowOf(float[] src, int off, int stride, int n, float[] buf) {
        if (stride == 1) {
            return src;
        }
        for (int i = 0; i < n; i++) {
            buf[i] = src[off + i * stride];
        }
        return buf;
    }

    private static double[] rowOf(double[] src, int off, int stride, int n, double[] buf) {
        if (stride == 1) {
            return src;
        }
        for (int i = 0; i < n; i++) {
            buf[i] = src[off + i * stride];
        }
        return buf;
    }

    // ---------------------------------------------------------------- copy and fill (strided destination)

    static void copy(Tensor src, Tensor dst) {
        StridedRows rows = new StridedRows(dst.shape(), dst, src);
        int n = rows.length;
        int sd = rows.innerStrides[0];
        int ss = rows.innerStrides[1];
        CpuStorage d = (CpuStorage) dst.storage();
        CpuStorage s = (CpuStorage) src.storage();
        rows.forEach(true, off -> {
            int o = off[0];
            int i0 = off[1];
            if (d.f != null && s.f != null) {
                for (int i = 0; i < n; i++) d.f[o + i * sd] = s.f[i0 + i * ss];
            } else if (d.d != null && s.d != null) {
                for (int i = 0; i < n; i++) d.d[o + i * sd] = s.d[i0 + i * ss];
            } else if (d.l != null && s.l != null) {
                for (int i = 0; i < n; i++) d.l[o + i * sd] = s.l[i0 + i * ss];
            } else {
                for (int i = 0; i < n; i++) write(d, o + i * sd, read(s, i0 + i * ss));
            }
        });
    }

    static void fill(Tensor dst, double value) {
        StridedRows rows = new StridedRows(dst.shape(), dst);
        int n = rows.length;
        int sd = rows.innerStrides[0];
        CpuStorage d = (CpuStorage) dst.storage();
        rows.forEach(true, off -> {
            for (int i = 0; i < n; i++) {
                write(d, off[0] + i * sd, value);
            }
        });
    }

    private static double read(CpuStorage s, int i) {
        return s.f != null ? s.f[i] : s.d != null ? s.d[i] : (double) s.l[i];
    }

    private static void write(CpuStorage s, int i, double v) {
        if (s.f != null) {
            s.f[i] = (float) v;
        } else if (s.d != null) {
            s.d[i] = v;
        } else {
            s.l[i] = (long) v;
        }
    }
}
