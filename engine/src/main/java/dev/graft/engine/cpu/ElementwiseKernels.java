package dev.graft.engine.cpu;

import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LE;

import dev.graft.engine.BinaryOp;
import dev.graft.engine.Tensor;
import dev.graft.engine.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise loops for F32 and F64. F32 runs Vector API loops over contiguous data and over rows where one
 * operand is a per-row scalar (a stride-0 broadcast such as {@code x[N,C,H,W] * s[1,C,1,1]}), with the same
 * per-element arithmetic as the scalar loops (no fused multiply-add), so the results are identical; anything else,
 * and every F64 op, runs plain scalar loops over the strided operands (see {@link StridedRows}).
 */
final class ElementwiseKernels {
    private static final int GRAIN = 1 << 15;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final FloatVector ZERO = FloatVector.zero(S);
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private ElementwiseKernels() {
    }

    // ---------------------------------------------------------------- unary (contiguous input)

    static void unary(UnaryOp op, float[] x, float[] y, double a, double b) {
        Parallel.forRange(x.length, GRAIN,
                (from, to) -> unaryScalar(op, x, y, unaryVector(op, x, y, from, to, a, b), to, a, b));
    }

    /**
     * The vectorised part of {@code [from, to)}; returns where the scalar loop must continue (the tail, or
     * {@code from} for the ops left scalar: EXP, LOG and POW go through {@code Math}, SIGN is rare).
     */
    private static int unaryVector(UnaryOp op, float[] x, float[] y, int from, int to, double a, double b) {
        int i = from;
        int end = from + S.loopBound(to - from);
        float fa = (float) a;
        float fb = (float) b;
        switch (op) {
            case NEG -> { for (; i < end; i += V) load(x, i).neg().intoArray(y, i); }
            case ABS -> { for (; i < end; i += V) load(x, i).abs().intoArray(y, i); }
            case SQRT -> { for (; i < end; i += V) load(x, i).sqrt().intoArray(y, i); }
            // Lanewise max follows Math.max: NaN stays NaN (as PyTorch's relu) and -0 becomes +0, as the scalar loop.
            case RELU -> { for (; i < end; i += V) load(x, i).max(0f).intoArray(y, i); }
            case CLAMP -> { for (; i < end; i += V) load(x, i).max(fa).min(fb).intoArray(y, i); }
            case AFFINE -> { for (; i < end; i += V) load(x, i).mul(fa).add(fb).intoArray(y, i); }
            case GREATER -> {
                float t = floatAtMost(a);
                for (; i < end; i += V) ones(load(x, i).compare(GT, t)).intoArray(y, i);
            }
            case BETWEEN -> {
                float lo = floatAtLeast(a);
                float hi = floatAtMost(b);
                for (; i < end; i += V) {
                    FloatVector v = load(x, i);
                    ones(v.compare(GE, lo).and(v.compare(LE, hi))).intoArray(y, i);
                }
            }
            case EXP, LOG, POW, SIGN -> { }
        }
        return i;
    }

    private static void unaryScalar(UnaryOp op, float[] x, float[] y, int from, int to, double a, double b) {
        float fa = (float) a;
        float fb = (float) b;
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
    }

    private static FloatVector load(float[] a, int i) {
        return FloatVector.fromArray(S, a, i);
    }

    /** 1 where the mask is set, 0 elsewhere. */
    private static FloatVector ones(VectorMask<Float> m) {
        return ZERO.blend(ONE, m);
    }

    /** The largest float {@code <= d}: for a float x, {@code x > d} exactly when {@code x > floatAtMost(d)}. */
    private static float floatAtMost(double d) {
        float f = (float) d;
        return f > d ? Math.nextDown(f) : f;
    }

    /** The smallest float {@code >= d}: for a float x, {@code x >= d} exactly when {@code x >= floatAtLeast(d)}. */
    private static float floatAtLeast(double d) {
        float f = (float) d;
        return f < d ? Math.nextUp(f) : f;
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
            rows.forEach(true, off -> {
                int done = sa == 1 && sb == 1 ? binaryVector(op, ca.f, off[1], cb.f, off[2], so.f, off[0], n)
                        : sa == 1 && sb == 0 ? binaryVectorScalar(op, ca.f, off[1], cb.f[off[2]], so.f, off[0], n)
                        : sa == 0 && sb == 1 ? binaryScalarVector(op, ca.f[off[1]], cb.f, off[2], so.f, off[0], n)
                        : 0;
                binaryRow(op, ca.f, off[1] + done * sa, sa, cb.f, off[2] + done * sb, sb, so.f, off[0] + done, n - done);
            });
        } else {
            rows.forEach(true, off -> binaryRow(op, ca.d, off[1], sa, cb.d, off[2], sb, so.d, off[0], n));
        }
    }

    /** Both operands contiguous; returns how many leading elements were done (whole vectors). */
    private static int binaryVector(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) {
        int end = S.loopBound(n);
        switch (op) {
            case ADD -> { for (int i = 0; i < end; i += V) load(a, ao + i).add(load(b, bo + i)).intoArray(o, oo + i); }
            case SUB -> { for (int i = 0; i < end; i += V) load(a, ao + i).sub(load(b, bo + i)).intoArray(o, oo + i); }
            case MUL -> { for (int i = 0; i < end; i += V) load(a, ao + i).mul(load(b, bo + i)).intoArray(o, oo + i); }
            case DIV -> { for (int i = 0; i < end; i += V) load(a, ao + i).div(load(b, bo + i)).intoArray(o, oo + i); }
            case EQUAL -> { for (int i = 0; i < end; i += V) ones(load(a, ao + i).compare(EQ, load(b, bo + i))).intoArray(o, oo + i); }
            case GREATER -> { for (int i = 0; i < end; i += V) ones(load(a, ao + i).compare(GT, load(b, bo + i))).intoArray(o, oo + i); }
        }
        return end;
    }

    /** {@code a} contiguous, {@code b} one value for the whole row (a stride-0 broadcast). */
    private static int binaryVectorScalar(BinaryOp op, float[] a, int ao, float b, float[] o, int oo, int n) {
        int end = S.loopBound(n);
        switch (op) {
            case ADD -> { for (int i = 0; i < end; i += V) load(a, ao + i).add(b).intoArray(o, oo + i); }
            case SUB -> { for (int i = 0; i < end; i += V) load(a, ao + i).sub(b).intoArray(o, oo + i); }
            case MUL -> { for (int i = 0; i < end; i += V) load(a, ao + i).mul(b).intoArray(o, oo + i); }
            case DIV -> { for (int i = 0; i < end; i += V) load(a, ao + i).div(b).intoArray(o, oo + i); }
            case EQUAL -> { for (int i = 0; i < end; i += V) ones(load(a, ao + i).compare(EQ, b)).intoArray(o, oo + i); }
            case GREATER -> { for (int i = 0; i < end; i += V) ones(load(a, ao + i).compare(GT, b)).intoArray(o, oo + i); }
        }
        return end;
    }

    /** {@code a} one value for the whole row, {@code b} contiguous. */
    private static int binaryScalarVector(BinaryOp op, float a, float[] b, int bo, float[] o, int oo, int n) {
        int end = S.loopBound(n);
        FloatVector av = FloatVector.broadcast(S, a);
        switch (op) {
            case ADD -> { for (int i = 0; i < end; i += V) av.add(load(b, bo + i)).intoArray(o, oo + i); }
            case SUB -> { for (int i = 0; i < end; i += V) av.sub(load(b, bo + i)).intoArray(o, oo + i); }
            case MUL -> { for (int i = 0; i < end; i += V) av.mul(load(b, bo + i)).intoArray(o, oo + i); }
            case DIV -> { for (int i = 0; i < end; i += V) av.div(load(b, bo + i)).intoArray(o, oo + i); }
            case EQUAL -> { for (int i = 0; i < end; i += V) ones(av.compare(EQ, load(b, bo + i))).intoArray(o, oo + i); }
            case GREATER -> { for (int i = 0; i < end; i += V) ones(av.compare(GT, load(b, bo + i))).intoArray(o, oo + i); }
        }
        return end;
    }

    /** The scalar loop over strided operands (the output contiguous): the F64 path and every F32 remainder. */
    private static void binaryRow(BinaryOp op, float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] + b[bo + i * sb]; }
            case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] - b[bo + i * sb]; }
            case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] * b[bo + i * sb]; }
            case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] / b[bo + i * sb]; }
            case EQUAL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] == b[bo + i * sb] ? 1f : 0f; }
            case GREATER -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] > b[bo + i * sb] ? 1f : 0f; }
        }
    }

    private static void binaryRow(BinaryOp op, double[] a, int ao, int sa, double[] b, int bo, int sb, double[] o, int oo, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] + b[bo + i * sb]; }
            case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] - b[bo + i * sb]; }
            case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] * b[bo + i * sb]; }
            case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] / b[bo + i * sb]; }
            case EQUAL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] == b[bo + i * sb] ? 1 : 0; }
            case GREATER -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i * sa] > b[bo + i * sb] ? 1 : 0; }
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
