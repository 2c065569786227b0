package dev.graft.engine.cpu;

import static dev.graft.engine.cpu.FiniteDifferences.GRAD_TOL;
import static dev.graft.engine.cpu.FiniteDifferences.assertGradient;
import static dev.graft.engine.cpu.FiniteDifferences.gradientError;
import static dev.graft.engine.cpu.FiniteDifferences.numericGradient;
import static dev.graft.engine.cpu.FloatArrays.narrow;
import static dev.graft.engine.cpu.FloatArrays.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.PoolGeometry;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Checks the pooling kernels against naive double-precision references that enumerate every padded window
 * position, against central finite differences of the F64 forward, and F32 against F64.
 */
class PoolKernelsTest {
    /** Central-difference step; max-pool inputs are spaced far wider so no perturbation changes an argmax. */
    private static final double FD_STEP = 1e-4;

    // ---- forward against the references -------------------------------------------------------------------

    @Property(tries = 300)
    void maxPoolMatchesReference(@ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 3) int channels,
            @ForAll @IntRange(min = 1, max = 7) int kh, @ForAll @IntRange(min = 1, max = 7) int kw,
            @ForAll @IntRange(min = 1, max = 3) int sh, @ForAll @IntRange(min = 1, max = 3) int sw,
            @ForAll @IntRange(min = 0, max = 3) int ph, @ForAll @IntRange(min = 0, max = 3) int pw,
            @ForAll @IntRange(min = 0, max = 6) int eh, @ForAll @IntRange(min = 0, max = 6) int ew,
            @ForAll boolean coarse, @ForAll long seed) {
        PoolGeometry g = geometry(batch, channels, kh, kw, sh, sw, ph, pw, eh, ew);
        // Coarse data draws from five values, so most windows hold ties and exercise the first-maximum rule.
        double[] x = coarse ? coarse(new Random(seed), numel(g)) : gaussian(new Random(seed), numel(g));
        int[] expectedIdx = new int[outputs(g)];
        double[] expected = referenceMaxPool(x, g, expectedIdx);

        int[] idx = new int[outputs(g)];
        assertArrayEquals(expected, PoolKernels.maxPool2d(x, g, idx));
        assertArrayEquals(expectedIdx, idx);

        float[] xf = narrow(x);
        int[] idxF = new int[outputs(g)];
        assertArrayEquals(narrow(expected), PoolKernels.maxPool2d(xf, g, idxF));
        assertArrayEquals(expectedIdx, idxF);
    }

    /**
     * Rows wide enough for the vectorised F32 max-pool (16 and more inner output columns, plus edge columns and a
     * remainder): values and argmax against the reference, with ties (coarse data), NaN, -0/+0 and -inf.
     */
    @Property(tries = 200)
    void maxPoolWideRowsMatchReference(@ForAll @IntRange(min = 1, max = 4) int kw,
            @ForAll @IntRange(min = 1, max = 3) int kh, @ForAll @IntRange(min = 1, max = 3) int sw,
            @ForAll @IntRange(min = 0, max = 2) int pw, @ForAll @IntRange(min = 0, max = 40) int extraW,
            @ForAll @IntRange(min = 0, max = 2) int data, @ForAll long seed) {
        PoolGeometry g = geometry(1, 2, kh, kw, 2, sw, 1, pw, 2, 16 * sw + extraW);
        Random rnd = new Random(seed);
        double[] x = data == 0 ? gaussian(rnd, numel(g)) : coarse(rnd, numel(g));
        if (data == 2) {
            double[] special = {Double.NaN, -0.0, 0.0, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY};
            for (int i = 0; i < x.length; i += 1 + rnd.nextInt(7)) {
                x[i] = special[rnd.nextInt(special.length)];
            }
        }
        int[] expectedIdx = new int[outputs(g)];
        double[] expected = referenceMaxPool(x, g, expectedIdx);
        int[] idx = new int[outputs(g)];
        float[] y = PoolKernels.maxPool2d(narrow(x), g, idx);
        F32Checks.assertRounded("max_pool2d " + g, expected, y);
        assertArrayEquals(expectedIdx, idx);
    }

    @Test
    void wideRowCheckerCatchesOneUlp() {
        PoolGeometry g = geometry(1, 1, 3, 3, 2, 2, 1, 1, 3, 40);
        double[] x = gaussian(new Random(9), numel(g));
        double[] expected = referenceMaxPool(x, g, new int[outputs(g)]);
        float[] y = PoolKernels.maxPool2d(narrow(x), g, new int[outputs(g)]);
        F32Checks.assertRounded("max_pool2d", expected, y);
        assertThrows(AssertionError.class, () -> F32Checks.assertRounded("max_pool2d", expected, F32Checks.perturbed(y, 5)));
    }

    @Property(tries = 300)
    void avgPoolMatchesReference(@ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 3) int channels,
            @ForAll @IntRange(min = 1, max = 7) int kh, @ForAll @IntRange(min = 1, max = 7) int kw,
            @ForAll @IntRange(min = 1, max = 3) int sh, @ForAll @IntRange(min = 1, max = 3) int sw,
            @ForAll @IntRange(min = 0, max = 3) int ph, @ForAll @IntRange(min = 0, max = 3) int pw,
            @ForAll @IntRange(min = 0, max = 6) int eh, @ForAll @IntRange(min = 0, max = 6) int ew,
            @ForAll boolean countIncludePad, @ForAll long seed) {
        PoolGeometry g = geometry(batch, channels, kh, kw, sh, sw, ph, pw, eh, ew);
        double[] x = gaussian(new Random(seed), numel(g));
        assertClose(referenceAvgPool(x, g, countIncludePad), PoolKernels.avgPool2d(x, g, countIncludePad), 1e-12);
    }

    @Property(tries = 300)
    void adaptiveAvgPoolMatchesReference(@ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 3) int channels,
            @ForAll @IntRange(min = 1, max = 11) int h, @ForAll @IntRange(min = 1, max = 11) int w,
            @ForAll @IntRange(min = 1, max = 14) int outH, @ForAll @IntRange(min = 1, max = 14) int outW,
            @ForAll long seed) {
        double[] x = gaussian(new Random(seed), batch * channels * h * w);
        assertClose(referenceAdaptiveAvgPool(x, batch, channels, h, w, outH, outW),
                PoolKernels.adaptiveAvgPool2d(x, batch, channels, h, w, outH, outW), 1e-12);
    }

    // ---- F32 against F64 -------------------------------------------------------------------------------------

    /**
     * The F32 kernels accumulate in double in the same order as the F64 ones, so on the same (float) data each
     * result must be exactly the F64 result rounded to float; float accumulation would break this.
     */
    @Property(tries = 100)
    void f32RoundsTheF64Result(@ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 3) int channels,
            @ForAll @IntRange(min = 1, max = 7) int kh, @ForAll @IntRange(min = 1, max = 7) int kw,
            @ForAll @IntRange(min = 1, max = 3) int sh, @ForAll @IntRange(min = 1, max = 3) int sw,
            @ForAll @IntRange(min = 0, max = 3) int ph, @ForAll @IntRange(min = 0, max = 3) int pw,
            @ForAll @IntRange(min = 0, max = 6) int eh, @ForAll @IntRange(min = 0, max = 6) int ew,
            @ForAll boolean countIncludePad, @ForAll long seed) {
        PoolGeometry g = geometry(batch, channels, kh, kw, sh, sw, ph, pw, eh, ew);
        Random rnd = new Random(seed);
        float[] xf = narrow(gaussian(rnd, numel(g)));
        float[] gyf = narrow(gaussian(rnd, outputs(g)));
        double[] x = widen(xf);
        double[] gy = widen(gyf);

        int[] idx = new int[outputs(g)];
        int[] idxF = new int[outputs(g)];
        assertArrayEquals(narrow(PoolKernels.maxPool2d(x, g, idx)), PoolKernels.maxPool2d(xf, g, idxF));
        assertArrayEquals(idx, idxF);
        assertArrayEquals(narrow(PoolKernels.maxPool2dBackward(gy, idx, g)),
                PoolKernels.maxPool2dBackward(gyf, idx, g));
        assertArrayEquals(narrow(PoolKernels.avgPool2d(x, g, countIncludePad)),
                PoolKernels.avgPool2d(xf, g, countIncludePad));
        assertArrayEquals(narrow(PoolKernels.avgPool2dBackward(gy, g, countIncludePad)),
                PoolKernels.avgPool2dBackward(gyf, g, countIncludePad));

        int outH = 1 + rnd.nextInt(g.h() + 2);
        int outW = 1 + rnd.nextInt(g.w() + 2);
        float[] gyAdaptive = narrow(gaussian(rnd, g.n() * g.c() * outH * outW));
        assertArrayEquals(narrow(PoolKernels.adaptiveAvgPool2d(x, g.n(), g.c(), g.h(), g.w(), outH, outW)),
                PoolKernels.adaptiveAvgPool2d(xf, g.n(), g.c(), g.h(), g.w(), outH, outW));
        assertArrayEquals(narrow(PoolKernels.adaptiveAvgPool2dBackward(widen(gyAdaptive), g.n(), g.c(), g.h(),
                        g.w(), outH, outW)),
                PoolKernels.adaptiveAvgPool2dBackward(gyAdaptive, g.n(), g.c(), g.h(), g.w(), outH, outW));
    }

    // ---- backward against finite differences -----------------------------------------------------------------

    @Property(tries = 100)
    void maxPoolBackwardMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 2) int channels,
            @ForAll @IntRange(min = 1, max = 7) int kh, @ForAll @IntRange(min = 1, max = 7) int kw,
            @ForAll @IntRange(min = 1, max = 3) int sh, @ForAll @IntRange(min = 1, max = 3) int sw,
            @ForAll @IntRange(min = 0, max = 3) int ph, @ForAll @IntRange(min = 0, max = 3) int pw,
            @ForAll @IntRange(min = 0, max = 6) int eh, @ForAll @IntRange(min = 0, max = 6) int ew,
            @ForAll long seed) {
        PoolGeometry g = geometry(batch, channels, kh, kw, sh, sw, ph, pw, eh, ew);
        Random rnd = new Random(seed);
        double[] x = distinct(rnd, numel(g));
        double[] r = gaussian(rnd, outputs(g));
        int[] idx = new int[outputs(g)];
        PoolKernels.maxPool2d(x, g, idx);
        double[] analytic = PoolKernels.maxPool2dBackward(r, idx, g);
        double[] numeric = numericGradient(x, FD_STEP, v -> dot(r, PoolKernels.maxPool2d(v, g, new int[outputs(g)])));
        assertGradient(analytic, numeric, rnd);
    }

    @Property(tries = 100)
    void avgPoolBackwardMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 2) int channels,
            @ForAll @IntRange(min = 1, max = 7) int kh, @ForAll @IntRange(min = 1, max = 7) int kw,
            @ForAll @IntRange(min = 1, max = 3) int sh, @ForAll @IntRange(min = 1, max = 3) int sw,
            @ForAll @IntRange(min = 0, max = 3) int ph, @ForAll @IntRange(min = 0, max = 3) int pw,
            @ForAll @IntRange(min = 0, max = 6) int eh, @ForAll @IntRange(min = 0, max = 6) int ew,
            @ForAll boolean countIncludePad, @ForAll long seed) {
        PoolGeometry g = geometry(batch, channels, kh, kw, sh, sw, ph, pw, eh, ew);
        Random rnd = new Random(seed);
        double[] x = gaussian(rnd, numel(g));
        double[] r = gaussian(rnd, outputs(g));
        double[] analytic = PoolKernels.avgPool2dBackward(r, g, countIncludePad);
        double[] numeric = numericGradient(x, FD_STEP, v -> dot(r, PoolKernels.avgPool2d(v, g, countIncludePad)));
        assertGradient(analytic, numeric, rnd);
    }

    @Property(tries = 100)
    void adaptiveAvgPoolBackwardMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 2) int channels,
            @ForAll @IntRange(min = 1, max = 11) int h, @ForAll @IntRange(min = 1, max = 11) int w,
            @ForAll @IntRange(min = 1, max = 14) int outH, @ForAll @IntRange(min = 1, max = 14) int outW,
            @ForAll long seed) {
        Random rnd = new Random(seed);
        double[] x = gaussian(rnd, batch * channels * h * w);
        double[] r = gaussian(rnd, batch * channels * outH * outW);
        double[] analytic = PoolKernels.adaptiveAvgPool2dBackward(r, batch, channels, h, w, outH, outW);
        double[] numeric = numericGradient(x, FD_STEP,
                v -> dot(r, PoolKernels.adaptiveAvgPool2d(v, batch, channels, h, w, outH, outW)));
        assertGradient(analytic, numeric, rnd);
    }

    /** A plausible bug, the other padding convention's divisor, must fail the same finite-difference check. */
    @Test
    void gradientCheckRejectsTheWrongDivisor() {
        PoolGeometry g = PoolGeometry.of("test", new int[] {1, 2, 5, 6}, new int[] {3, 3}, new int[] {2, 2},
                new int[] {1, 1});
        Random rnd = new Random(7);
        double[] x = gaussian(rnd, numel(g));
        double[] r = gaussian(rnd, outputs(g));
        double[] numeric = numericGradient(x, FD_STEP, v -> dot(r, PoolKernels.avgPool2d(v, g, true)));
        assertTrue(gradientError(PoolKernels.avgPool2dBackward(r, g, true), numeric) <= GRAD_TOL);
        assertTrue(gradientError(PoolKernels.avgPool2dBackward(r, g, false), numeric) > GRAD_TOL);
    }

    // ---- max-pool ties, NaN and padding ------------------------------------------------------------------------

    @Test
    void firstMaximumInRowMajorOrderWinsTies() {
        PoolGeometry g = PoolGeometry.of("test", new int[] {1, 1, 3, 3}, new int[] {2, 2}, new int[] {1, 1},
                new int[] {0, 0});
        float[] x = {
            1, 3, 3,
            3, 0, 2,
            1, 3, 1};
        int[] idx = new int[4];
        assertArrayEquals(new float[] {3, 3, 3, 3}, PoolKernels.maxPool2d(x, g, idx));
        assertArrayEquals(new int[] {1, 1, 3, 7}, idx);
        int[] idxD = new int[4];
        PoolKernels.maxPool2d(widen(x), g, idxD);
        assertArrayEquals(idx, idxD);
        // Both windows that select element 1 send their gradient there; the tied copies get nothing.
        assertArrayEquals(new float[] {0, 2, 0, 1, 0, 0, 0, 1, 0},
                PoolKernels.maxPool2dBackward(new float[] {1, 1, 1, 1}, idx, g));
    }

    @Test
    void equalValuesWithPaddingSelectTheFirstRealElement() {
        PoolGeometry g = PoolGeometry.of("test", new int[] {1, 1, 3, 3}, new int[] {3, 3}, new int[] {1, 1},
                new int[] {1, 1});
        double[] x = new double[9];
        Arrays.fill(x, 7);
        int[] idx = new int[9];
        PoolKernels.maxPool2d(x, g, idx);
        for (int oh = 0; oh < 3; oh++) {
            for (int ow = 0; ow < 3; ow++) {
                assertEquals(Math.max(oh - 1, 0) * 3 + Math.max(ow - 1, 0), idx[oh * 3 + ow]);
            }
        }
    }

    @Test
    void nanIsSelectedAndTheLastNanOfAWindowWins() {
        PoolGeometry g = PoolGeometry.of("test", new int[] {1, 1, 2, 3}, new int[] {2, 2}, new int[] {1, 1},
                new int[] {0, 0});
        float[] x = {
            1, Float.NaN, 2,
            4, 5, Float.NaN};
        int[] idx = new int[2];
        float[] y = PoolKernels.maxPool2d(x, g, idx);
        assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[1]));
        // Window 0 holds one NaN and a larger 5 after it; window 1 holds NaNs at 1 and 5.
        assertArrayEquals(new int[] {1, 5}, idx);
        int[] idxD = new int[2];
        double[] yD = PoolKernels.maxPool2d(widen(x), g, idxD);
        assertTrue(Double.isNaN(yD[0]) && Double.isNaN(yD[1]));
        assertArrayEquals(idx, idxD);
    }

    @Test
    void paddingIsNeverSelected() {
        PoolGeometry g = PoolGeometry.of("test", new int[] {1, 1, 4, 4}, new int[] {3, 3}, new int[] {2, 2},
                new int[] {1, 1});
        double[] negative = new double[16];
        Arrays.fill(negative, -3);
        negative[5] = -2;
        int[] idx = new int[4];
        assertArrayEquals(new double[] {-2, -2, -2, -2}, PoolKernels.maxPool2d(negative, g, idx));
        assertArrayEquals(new int[] {5, 5, 5, 5}, idx);

        float[] allNegInf = new float[16];
        Arrays.fill(allNegInf, Float.NEGATIVE_INFINITY);
        int[] idxInf = new int[4];
        float[] y = PoolKernels.maxPool2d(allNegInf, g, idxInf);
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.NEGATIVE_INFINITY}, y);
        // A window of -inf inputs points at its first real element, never outside the plane.
        assertArrayEquals(new int[] {0, 1, 4, 5}, idxInf);
    }

    @Test
    void mismatchedArgmaxLengthIsRejected() {
        PoolGeometry g = PoolGeometry.of("test", new int[] {1, 1, 4, 4}, new int[] {2, 2}, new int[] {2, 2},
                new int[] {0, 0});
        assertThrows(IllegalArgumentException.class, () -> PoolKernels.maxPool2d(new float[16], g, new int[3]));
    }

    // ---- references: every window position, padding included, enumerated explicitly ---------------------------

    private static double[] referenceMaxPool(double[] x, PoolGeometry g, int[] argmax) {
        double[] y = new double[outputs(g)];
        int o = 0;
        for (int p = 0; p < g.n() * g.c(); p++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++, o++) {
                    double best = Double.NaN;
                    int bestIdx = -1;
                    for (int a = 0; a < g.kh(); a++) {
                        for (int b = 0; b < g.kw(); b++) {
                            int ih = oh * g.strideH() - g.padH() + a;
                            int iw = ow * g.strideW() - g.padW() + b;
                            if (ih < 0 || ih >= g.h() || iw < 0 || iw >= g.w()) {
                                continue;
                            }
                            double v = x[p * g.h() * g.w() + ih * g.w() + iw];
                            if (bestIdx < 0 || v > best || Double.isNaN(v)) {
                                best = v;
                                bestIdx = ih * g.w() + iw;
                            }
                        }
                    }
                    y[o] = best;
                    argmax[o] = bestIdx;
                }
            }
        }
        return y;
    }

    private static double[] referenceAvgPool(double[] x, PoolGeometry g, boolean countIncludePad) {
        double[] y = new double[outputs(g)];
        int o = 0;
        for (int p = 0; p < g.n() * g.c(); p++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++, o++) {
                    double sum = 0;
                    int inPadded = 0;
                    int inReal = 0;
                    for (int a = 0; a < g.kh(); a++) {
                        for (int b = 0; b < g.kw(); b++) {
                            int ih = oh * g.strideH() - g.padH() + a;
                            int iw = ow * g.strideW() - g.padW() + b;
                            if (ih < g.h() + g.padH() && iw < g.w() + g.padW()) {
                                inPadded++;
                            }
                            if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                inReal++;
                                sum += x[p * g.h() * g.w() + ih * g.w() + iw];
                            }
                        }
                    }
                    y[o] = sum / (countIncludePad ? inPadded : inReal);
                }
            }
        }
        return y;
    }

    private static double[] referenceAdaptiveAvgPool(double[] x, int n, int c, int h, int w, int outH, int outW) {
        double[] y = new double[n * c * outH * outW];
        int o = 0;
        for (int p = 0; p < n * c; p++) {
            for (int oh = 0; oh < outH; oh++) {
                int h0 = (int) Math.floor(oh * (double) h / outH);
                int h1 = (int) Math.ceil((oh + 1) * (double) h / outH);
                for (int ow = 0; ow < outW; ow++, o++) {
                    int w0 = (int) Math.floor(ow * (double) w / outW);
                    int w1 = (int) Math.ceil((ow + 1) * (double) w / outW);
                    double sum = 0;
                    for (int ih = h0; ih < h1; ih++) {
                        for (int iw = w0; iw < w1; iw++) {
                            sum += x[p * h * w + ih * w + iw];
                        }
                    }
                    y[o] = sum / ((h1 - h0) * (w1 - w0));
                }
            }
        }
        return y;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /** Clamps the drawn padding to half the kernel and sizes the input so that at least one window fits. */
    private static PoolGeometry geometry(int batch, int channels, int kh, int kw, int sh, int sw, int ph, int pw,
            int extraH, int extraW) {
        int padH = Math.min(ph, kh / 2);
        int padW = Math.min(pw, kw / 2);
        int h = Math.max(1, kh - 2 * padH + extraH);
        int w = Math.max(1, kw - 2 * padW + extraW);
        return PoolGeometry.of("test", new int[] {batch, channels, h, w}, new int[] {kh, kw}, new int[] {sh, sw},
                new int[] {padH, padW});
    }

    private static int numel(PoolGeometry g) {
        return g.n() * g.c() * g.h() * g.w();
    }

    private static int outputs(PoolGeometry g) {
        return g.n() * g.c() * g.outH() * g.outW();
    }

    private static void assertClose(double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, "element " + i);
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double[] gaussian(Random rnd, int size) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
            x[i] = rnd.nextGaussian();
        }
        return x;
    }

    private static double[] coarse(Random rnd, int size) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
            x[i] = rnd.nextInt(5) - 2;
        }
        return x;
    }

    /** A shuffled grid of values 0.01 apart, so every window has a unique maximum robust to FD_STEP. */
    private static double[] distinct(Random rnd, int size) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
            x[i] = (i - size / 2) * 0.01;
        }
        for (int i = size - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            double t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
        return x;
    }
}
