package dev.graft.engine.cpu;

import dev.graft.engine.PoolGeometry;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2-D max, average and adaptive-average pooling over contiguous NCHW arrays, with PyTorch's semantics.
 * Every method exists for {@code float[]} (F32) and {@code double[]} (F64); the F32 versions accumulate sums
 * in double; F32 max pooling runs Vector API gathers over the output columns whose windows lie inside the row.
 * Work is split over the {@code n*c} planes, which are independent, so no two threads ever write
 * the same element.
 */
public final class PoolKernels {
    /** Roughly how many elements one task should touch before splitting pays for itself. */
    private static final int GRAIN_ELEMENTS = 1 << 14;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    private static final int V = S.length();

    private PoolKernels() {
    }

    /**
     * Max pooling. Padding counts as -inf and is never selected; within a window the first maximum in row-major
     * order wins ties (strict {@code >}), and a NaN input is always taken, so the last NaN of a window wins, as
     * in PyTorch's CPU kernel. {@code argmax} receives, per output, the index {@code ih*w + iw} inside its plane.
     */
    public static float[] maxPool2d(float[] x, PoolGeometry g, int[] argmax) {
        checkMaxPool(x.length, g, argmax);
        int h = g.h();
        int w = g.w();
        int outH = g.outH();
        int outW = g.outW();
        int sw = g.strideW();
        PoolWindows rows = PoolWindows.sliding(h, outH, g.kh(), g.strideH(), g.padH(), false);
        PoolWindows cols = PoolWindows.sliding(w, outW, g.kw(), sw, g.padW(), false);
        int[] rLo = rows.lo();
        int[] rHi = rows.hi();
        int[] cLo = cols.lo();
        int[] cHi = cols.hi();
        // Output columns whose windows lie wholly inside the row run V at a time, one gathered lane per column.
        int firstInner = Math.min(outW, (g.padW() + sw - 1) / sw);
        int endInner = Math.max(firstInner, Math.min(outW, Math.floorDiv(w - g.kw() + g.padW(), sw) + 1));
        // The last block is shifted back to end at endInner, recomputing a few columns, so that no inner column
        // falls to the scalar loop; too few inner columns for one block all go scalar.
        int vectorEnd = endInner - firstInner >= V ? endInner : firstInner;
        int[] laneCols = new int[V];
        for (int l = 0; l < V; l++) {
            laneCols[l] = l * sw;
        }
        IntVector laneOffsets = IntVector.fromArray(IS, laneCols, 0);
        float[] y = StepMemory.floats(g.n() * g.c() * outH * outW);
        Parallel.forEach(g.n() * g.c(), grain(h * w), p -> {
            int in = p * h * w;
            for (int i = 0; i < outH; i++) {
                int o = (p * outH + i) * outW;
                for (int j = 0; j < firstInner; j++) {
                    maxWindow(x, in, w, rLo[i], rHi[i], cLo[j], cHi[j], y, argmax, o + j);
                }
                for (int block = firstInner; block < vectorEnd; block += V) {
                    int j = Math.min(block, vectorEnd - V);
                    int col = cLo[j];
                    FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                    IntVector best = laneOffsets.add(rLo[i] * w + col);
                    for (int r = rLo[i]; r < rHi[i]; r++) {
                        for (int q = r * w + col, end = q + g.kw(); q < end; q++) {
                            FloatVector v = FloatVector.fromArray(S, x, in + q, laneCols, 0);
                            VectorMask<Float> take = v.compare(VectorOperators.GT, max).or(v.test(VectorOperators.IS_NAN));
                            max = max.blend(v, take);
                            best = best.blend(laneOffsets.add(q), take.cast(IS));
                        }
                    }
                    max.intoArray(y, o + j);
                    best.intoArray(argmax, o + j);
                }
                for (int j = vectorEnd; j < outW; j++) {
                    maxWindow(x, in, w, rLo[i], rHi[i], cLo[j], cHi[j], y, argmax, o + j);
                }
            }
        });
        return y;
    }

    /** One output of {@link #maxPool2d(float[], PoolGeometry, int[])}: the window rows [r0, r1) x columns [c0, c1). */
    private static void maxWindow(float[] x, int in, int w, int r0, int r1, int c0, int c1, float[] y, int[] argmax,
            int o) {
        // Starting from the window's first real element keeps the index valid when all it holds is -inf.
        int best = r0 * w + c0;
        float max = Float.NEGATIVE_INFINITY;
        for (int r = r0; r < r1; r++) {
            for (int q = r * w + c0, end = r * w + c1; q < end; q++) {
                float v = x[in + q];
                if (v > max || Float.isNaN(v)) {
                    max = v;
                    best = q;
                }
            }
        }
        y[o] = max;
        argmax[o] = best;
    }

    /** See {@link #maxPool2d(float[], PoolGeometry, int[])}. */
    public static double[] maxPool2d(double[] x, PoolGeometry g, int[] argmax) {
        checkMaxPool(x.length, g, argmax);
        int h = g.h();
        int w = g.w();
        int outH = g.outH();
        int outW = g.outW();
        PoolWindows rows = PoolWindows.sliding(h, outH, g.kh(), g.strideH(), g.padH(), false);
        PoolWindows cols = PoolWindows.sliding(w, outW, g.kw(), g.strideW(), g.padW(), false);
        int[] rLo = rows.lo();
        int[] rHi = rows.hi();
        int[] cLo = cols.lo();
        int[] cHi = cols.hi();
        double[] y = new double[g.n() * g.c() * outH * outW];
        Parallel.forEach(g.n() * g.c(), grain(h * w), p -> {
            int in = p * h * w;
            int o = p * outH * outW;
            for (int i = 0; i < outH; i++) {
                for (int j = 0; j < outW; j++, o++) {
                    int best = rLo[i] * w + cLo[j];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int r = rLo[i]; r < rHi[i]; r++) {
                        for (int q = r * w + cLo[j], end = r * w + cHi[j]; q < end; q++) {
                            double v = x[in + q];
                            if (v > max || Double.isNaN(v)) {
                                max = v;
                                best = q;
                            }
                        }
                    }
                    y[o] = max;
                    argmax[o] = best;
                }
            }
        });
        return y;
    }

    /** Routes each output gradient to the input its forward pass selected; overlapping windows add up. */
    public static float[] maxPool2dBackward(float[] gradOut, int[] argmax, PoolGeometry g) {
        checkMaxPoolBackward(gradOut.length, argmax, g);
        int hw = g.h() * g.w();
        int outHw = g.outH() * g.outW();
        float[] gradIn = StepMemory.floats(g.n() * g.c() * hw);
        Parallel.forRange(g.n() * g.c(), grain(hw + outHw), (from, to) -> {
            double[] acc = new double[hw];
            for (int p = from; p < to; p++) {
                Arrays.fill(acc, 0);
                for (int o = p * outHw, end = o + outHw; o < end; o++) {
                    acc[argmax[o]] += gradOut[o];
                }
                store(acc, gradIn, p * hw);
            }
        });
        return gradIn;
    }

    /** See {@link #maxPool2dBackward(float[], int[], PoolGeometry)}. */
    public static double[] maxPool2dBackward(double[] gradOut, int[] argmax, PoolGeometry g) {
        checkMaxPoolBackward(gradOut.length, argmax, g);
        int hw = g.h() * g.w();
        int outHw = g.outH() * g.outW();
        double[] gradIn = new double[g.n() * g.c() * hw];
        Parallel.forEach(g.n() * g.c(), grain(hw + outHw), p -> {
            int in = p * hw;
            for (int o = p * outHw, end = o + outHw; o < end; o++) {
                gradIn[in + argmax[o]] += gradOut[o];
            }
        });
        return gradIn;
    }

    /**
     * Average pooling with zero padding. The divisor is the window clipped to the padded input when
     * {@code countIncludePad}, otherwise the window clipped to the real input.
     */
    public static float[] avgPool2d(float[] x, PoolGeometry g, boolean countIncludePad) {
        requireLength("avg_pool2d", "input", x.length, (long) g.n() * g.c() * g.h() * g.w());
        return windowMean(x, g.n() * g.c(), g.h(), g.w(), rows(g, countIncludePad), cols(g, countIncludePad));
    }

    /** See {@link #avgPool2d(float[], PoolGeometry, boolean)}. */
    public static double[] avgPool2d(double[] x, PoolGeometry g, boolean countIncludePad) {
        requireLength("avg_pool2d", "input", x.length, (long) g.n() * g.c() * g.h() * g.w());
        return windowMean(x, g.n() * g.c(), g.h(), g.w(), rows(g, countIncludePad), cols(g, countIncludePad));
    }

    /** Gradient of {@link #avgPool2d(float[], PoolGeometry, boolean)} with respect to its input. */
    public static float[] avgPool2dBackward(float[] gradOut, PoolGeometry g, boolean countIncludePad) {
        requireLength("avg_pool2d_backward", "gradOut", gradOut.length, (long) g.n() * g.c() * g.outH() * g.outW());
        return windowMeanBackward(gradOut, g.n() * g.c(), g.h(), g.w(),
                rows(g, countIncludePad), cols(g, countIncludePad));
    }

    /** See {@link #avgPool2dBackward(float[], PoolGeometry, boolean)}. */
    public static double[] avgPool2dBackward(double[] gradOut, PoolGeometry g, boolean countIncludePad) {
        requireLength("avg_pool2d_backward", "gradOut", gradOut.length, (long) g.n() * g.c() * g.outH() * g.outW());
        return windowMeanBackward(gradOut, g.n() * g.c(), g.h(), g.w(),
                rows(g, countIncludePad), cols(g, countIncludePad));
    }

    /** Adaptive average pooling of {@code [n, c, h, w]} to {@code [n, c, outH, outW]} with PyTorch's windows. */
    public static float[] adaptiveAvgPool2d(float[] x, int n, int c, int h, int w, int outH, int outW) {
        checkAdaptive("adaptive_avg_pool2d", n, c, h, w, outH, outW);
        requireLength("adaptive_avg_pool2d", "input", x.length, (long) n * c * h * w);
        return windowMean(x, n * c, h, w, PoolWindows.adaptive(h, outH), PoolWindows.adaptive(w, outW));
    }

    /** See {@link #adaptiveAvgPool2d(float[], int, int, int, int, int, int)}. */
    public static double[] adaptiveAvgPool2d(double[] x, int n, int c, int h, int w, int outH, int outW) {
        checkAdaptive("adaptive_avg_pool2d", n, c, h, w, outH, outW);
        requireLength("adaptive_avg_pool2d", "input", x.length, (long) n * c * h * w);
        return windowMean(x, n * c, h, w, PoolWindows.adaptive(h, outH), PoolWindows.adaptive(w, outW));
    }

    /** Gradient of {@link #adaptiveAvgPool2d(float[], int, int, int, int, int, int)} with respect to its input. */
    public static float[] adaptiveAvgPool2dBackward(float[] gradOut, int n, int c, int h, int w, int outH, int outW) {
        checkAdaptive("adaptive_avg_pool2d_backward", n, c, h, w, outH, outW);
        requireLength("adaptive_avg_pool2d_backward", "gradOut", gradOut.length, (long) n * c * outH * outW);
        return windowMeanBackward(gradOut, n * c, h, w, PoolWindows.adaptive(h, outH), PoolWindows.adaptive(w, outW));
    }

    /** See {@link #adaptiveAvgPool2dBackward(float[], int, int, int, int, int, int)}. */
    public static double[] adaptiveAvgPool2dBackward(double[] gradOut, int n, int c, int h, int w, int outH,
            int outW) {
        checkAdaptive("adaptive_avg_pool2d_backward", n, c, h, w, outH, outW);
        requireLength("adaptive_avg_pool2d_backward", "gradOut", gradOut.length, (long) n * c * outH * outW);
        return windowMeanBackward(gradOut, n * c, h, w, PoolWindows.adaptive(h, outH), PoolWindows.adaptive(w, outW));
    }

    /** Mean of every window {@code rows × cols} of each {@code h × w} plane, divided by the windows' spans. */
    private static float[] windowMean(float[] x, int planes, int h, int w, PoolWindows rows, PoolWindows cols) {
        int outH = rows.count();
        int outW = cols.count();
        int[] rLo = rows.lo();
        int[] rHi = rows.hi();
        int[] rSpan = rows.span();
        int[] cLo = cols.lo();
        int[] cHi = cols.hi();
        int[] cSpan = cols.span();
        float[] y = StepMemory.floats(planes * outH * outW);
        Parallel.forEach(planes, grain(h * w), p -> {
            int in = p * h * w;
            int o = p * outH * outW;
            for (int i = 0; i < outH; i++) {
                for (int j = 0; j < outW; j++, o++) {
                    double sum = 0;
                    for (int r = rLo[i]; r < rHi[i]; r++) {
                        for (int q = in + r * w + cLo[j], end = in + r * w + cHi[j]; q < end; q++) {
                            sum += x[q];
                        }
                    }
                    y[o] = (float) (sum / ((double) rSpan[i] * cSpan[j]));
                }
            }
        });
        return y;
    }

    private static double[] windowMean(double[] x, int planes, int h, int w, PoolWindows rows, PoolWindows cols) {
        int outH = rows.count();
        int outW = cols.count();
        int[] rLo = rows.lo();
        int[] rHi = rows.hi();
        int[] rSpan = rows.span();
        int[] cLo = cols.lo();
        int[] cHi = cols.hi();
        int[] cSpan = cols.span();
        double[] y = new double[planes * outH * outW];
        Parallel.forEach(planes, grain(h * w), p -> {
            int in = p * h * w;
            int o = p * outH * outW;
            for (int i = 0; i < outH; i++) {
                for (int j = 0; j < outW; j++, o++) {
                    double sum = 0;
                    for (int r = rLo[i]; r < rHi[i]; r++) {
                        for (int q = in + r * w + cLo[j], end = in + r * w + cHi[j]; q < end; q++) {
                            sum += x[q];
                        }
                    }
                    y[o] = sum / ((double) rSpan[i] * cSpan[j]);
                }
            }
        });
        return y;
    }

    /** Spreads each output gradient, divided by its window's divisor, evenly over the window's inputs. */
    private static float[] windowMeanBackward(float[] gradOut, int planes, int h, int w, PoolWindows rows,
            PoolWindows cols) {
        int outH = rows.count();
        int outW = cols.count();
        int[] rLo = rows.lo();
        int[] rHi = rows.hi();
        int[] rSpan = rows.span();
        int[] cLo = cols.lo();
        int[] cHi = cols.hi();
        int[] cSpan = cols.span();
        float[] gradIn = StepMemory.floats(planes * h * w);
        Parallel.forRange(planes, grain(h * w), (from, to) -> {
            double[] acc = new double[h * w];
            for (int p = from; p < to; p++) {
                Arrays.fill(acc, 0);
                int o = p * outH * outW;
                for (int i = 0; i < outH; i++) {
                    for (int j = 0; j < outW; j++, o++) {
                        double share = gradOut[o] / ((double) rSpan[i] * cSpan[j]);
                        for (int r = rLo[i]; r < rHi[i]; r++) {
                            for (int q = r * w + cLo[j], end = r * w + cHi[j]; q < end; q++) {
                                acc[q] += share;
                            }
                        }
                    }
                }
                store(acc, gradIn, p * h * w);
            }
        });
        return gradIn;
    }

    private static double[] windowMeanBackward(double[] gradOut, int planes, int h, int w, PoolWindows rows,
            PoolWindows cols) {
        int outH = rows.count();
        int outW = cols.count();
        int[] rLo = rows.lo();
        int[] rHi = rows.hi();
        int[] rSpan = rows.span();
        int[] cLo = cols.lo();
        int[] cHi = cols.hi();
        int[] cSpan = cols.span();
        double[] gradIn = new double[planes * h * w];
        Parallel.forEach(planes, grain(h * w), p -> {
            int in = p * h * w;
            int o = p * outH * outW;
            for (int i = 0; i < outH; i++) {
                for (int j = 0; j < outW; j++, o++) {
                    double share = gradOut[o] / ((double) rSpan[i] * cSpan[j]);
                    for (int r = rLo[i]; r < rHi[i]; r++) {
                        for (int q = in + r * w + cLo[j], end = in + r * w + cHi[j]; q < end; q++) {
                            gradIn[q] += share;
                        }
                    }
                }
            }
        });
        return gradIn;
    }

    private static PoolWindows rows(PoolGeometry g, boolean countIncludePad) {
        return PoolWindows.sliding(g.h(), g.outH(), g.kh(), g.strideH(), g.padH(), countIncludePad);
    }

    private static PoolWindows cols(PoolGeometry g, boolean countIncludePad) {
        return PoolWindows.sliding(g.w(), g.outW(), g.kw(), g.strideW(), g.padW(), countIncludePad);
    }

    /** Narrows a double accumulator plane into the float result once, after all its contributions are summed. */
    private static void store(double[] acc, float[] dst, int offset) {
        for (int i = 0; i < acc.length; i++) {
            dst[offset + i] = (float) acc[i];
        }
    }

    private static void checkMaxPool(int inputLength, PoolGeometry g, int[] argmax) {
        requireLength("max_pool2d", "input", inputLength, (long) g.n() * g.c() * g.h() * g.w());
        requireLength("max_pool2d", "argmax", argmax.length, (long) g.n() * g.c() * g.outH() * g.outW());
    }

    private static void checkMaxPoolBackward(int gradOutLength, int[] argmax, PoolGeometry g) {
        long outputs = (long) g.n() * g.c() * g.outH() * g.outW();
        requireLength("max_pool2d_backward", "gradOut", gradOutLength, outputs);
        requireLength("max_pool2d_backward", "argmax", argmax.length, outputs);
    }

    private static void checkAdaptive(String op, int n, int c, int h, int w, int outH, int outW) {
        if (n < 1 || c < 1 || h < 1 || w < 1 || outH < 1 || outW < 1) {
            throw new IllegalArgumentException(op + ": sizes must be positive, got input [" + n + ", " + c + ", "
                    + h + ", " + w + "] and output size [" + outH + ", " + outW + "]");
        }
    }

    private static void requireLength(String op, String what, int length, long expected) {
        if (length != expected) {
            throw new IllegalArgumentException(op + ": " + what + " has " + length + " elements, expected " + expected);
        }
    }

    private static int grain(int elementsPerItem) {
        return Math.max(1, GRAIN_ELEMENTS / Math.max(1, elementsPerItem));
    }
}
