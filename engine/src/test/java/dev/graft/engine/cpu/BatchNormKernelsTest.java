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

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Checks the batch-norm kernels against a naive double-precision reference, against central finite
 * differences of the F64 forward, F32 against F64, and the running-statistic update against hand-computed values.
 */
class BatchNormKernelsTest {
    private static final double EPS = 1e-5;
    private static final double FD_STEP = 1e-6;

    @Property(tries = 200)
    void forwardMatchesReference(@ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 4) int channels,
            @ForAll @IntRange(min = 1, max = 5) int h, @ForAll @IntRange(min = 1, max = 5) int w,
            @ForAll @IntRange(min = 0, max = 10) int momentumTenths, @ForAll boolean affine,
            @ForAll boolean tracking, @ForAll long seed) {
        int hw = h * w;
        Assume.that(batch * hw > 1);
        double momentum = momentumTenths / 10.0;
        Random rnd = new Random(seed);
        double[] x = channelData(rnd, batch, channels, hw);
        double[] weight = affine ? gaussian(rnd, channels) : null;
        double[] bias = affine ? gaussian(rnd, channels) : null;
        double[] runningMean = tracking ? gaussian(rnd, channels) : null;
        double[] runningVar = tracking ? positive(rnd, channels) : null;

        Reference ref = Reference.of(x, batch, channels, hw, weight, bias, EPS);
        double[] out = new double[x.length];
        double[] saveMean = new double[channels];
        double[] saveInvStd = new double[channels];
        double[] expectedMean = tracking ? runningMean.clone() : null;
        double[] expectedVar = tracking ? runningVar.clone() : null;
        BatchNormKernels.trainForward(x, batch, channels, hw, weight, bias, runningMean, runningVar, momentum, EPS,
                out, saveMean, saveInvStd);

        assertClose(ref.out, out, 1e-12);
        assertClose(ref.mean, saveMean, 1e-12);
        for (int ch = 0; ch < channels; ch++) {
            assertEquals(1 / Math.sqrt(ref.biasedVar[ch] + EPS), saveInvStd[ch], 1e-9 * saveInvStd[ch]);
        }
        if (tracking) {
            int count = batch * hw;
            for (int ch = 0; ch < channels; ch++) {
                expectedMean[ch] += momentum * (ref.mean[ch] - expectedMean[ch]);
                expectedVar[ch] += momentum * (ref.biasedVar[ch] * count / (count - 1) - expectedVar[ch]);
            }
            assertClose(expectedMean, runningMean, 1e-12);
            assertClose(expectedVar, runningVar, 1e-12);
        }
    }

    /**
     * The F32 kernels (Vector API, float lanes summed into double) against the F64 reference on the same float
     * inputs, over spatial sizes below one vector, with vector tails, and past one float-lane block; backward gets
     * the F32 saved statistics on both sides. Each array is compared relative to its largest F64 magnitude.
     */
    @Property(tries = 150)
    void f32MatchesF64(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 4) int channels,
            @ForAll @IntRange(min = 1, max = 70) int hwSmall, @ForAll boolean beyondBlock, @ForAll boolean affine,
            @ForAll long seed) {
        int hw = beyondBlock ? 1025 + 3 * hwSmall : hwSmall;
        Assume.that(batch * hw > 1);
        F32Twin t = F32Twin.run(new Random(seed), batch, channels, hw, affine);
        t.check(F32_TOL);
    }

    @Test
    void f32CheckerCatchesAWrongElement() {
        F32Twin t = F32Twin.run(new Random(11), 2, 3, 37, true);
        t.check(F32_TOL);
        double[] ref = t.outD;
        float[] wrong = F32Checks.perturbed(t.outF, 36, 10 * F32_TOL * scaleOf(ref)[0]);
        assertThrows(AssertionError.class, () -> F32Checks.assertClose("out", ref, wrong, F32_TOL, scaleOf(ref)));
        float[] wrongGx = F32Checks.perturbed(t.gxF, 5, 10 * F32_TOL * t.gxScale()[5]);
        assertThrows(AssertionError.class, () -> F32Checks.assertClose("gradInput", t.gxD, wrongGx, F32_TOL, t.gxScale()));
    }

    /** F32 rounding of float-lane sums (64 terms per lane) and a few float ops, relative to the terms involved. */
    private static final double F32_TOL = 4e-6;

    /**
     * One forward and backward in F32 and in F64 on the same float data, with the size of the terms behind each
     * gradient: they cancel (completely, for two values per channel), so their F32 rounding is judged against them.
     */
    private record F32Twin(float[] outF, double[] outD, float[][] statsF, double[][] statsD, float[] gxF, double[] gxD,
            float[] gwF, double[] gwD, float[] gbF, double[] gbD, double[] gxScale, double[] gwScale, double[] gbScale) {
        static F32Twin run(Random rnd, int batch, int channels, int hw, boolean affine) {
            float[] xf = narrow(channelData(rnd, batch, channels, hw));
            float[] gyf = narrow(gaussian(rnd, xf.length));
            float[] weightF = affine ? narrow(gaussian(rnd, channels)) : null;
            float[] biasF = affine ? narrow(gaussian(rnd, channels)) : null;
            float[] meanF = narrow(gaussian(rnd, channels));
            float[] varF = narrow(positive(rnd, channels));
            double[] meanD = widen(meanF);
            double[] varD = widen(varF);

            float[] outF = new float[xf.length];
            float[] saveMeanF = new float[channels];
            float[] saveInvStdF = new float[channels];
            BatchNormKernels.trainForward(xf, batch, channels, hw, weightF, biasF, meanF, varF, 0.1, EPS, outF,
                    saveMeanF, saveInvStdF);
            double[] outD = new double[xf.length];
            double[] saveMeanD = new double[channels];
            double[] saveInvStdD = new double[channels];
            BatchNormKernels.trainForward(widen(xf), batch, channels, hw, widenOrNull(weightF), widenOrNull(biasF),
                    meanD, varD, 0.1, EPS, outD, saveMeanD, saveInvStdD);

            float[] gxF = new float[xf.length];
            float[] gwF = new float[channels];
            float[] gbF = new float[channels];
            BatchNormKernels.backward(gyf, xf, batch, channels, hw, weightF, saveMeanF, saveInvStdF, gxF, gwF, gbF);
            double[] gxD = new double[xf.length];
            double[] gwD = new double[channels];
            double[] gbD = new double[channels];
            BatchNormKernels.backward(widen(gyf), widen(xf), batch, channels, hw, widenOrNull(weightF),
                    widen(saveMeanF), widen(saveInvStdF), gxD, gwD, gbD);
            // gradInput = w·invStd·(dy - Σdy/count - (x - mean)·gradWeight·invStd/count), gradWeight = Σdy·(x - mean)·invStd.
            int count = batch * hw;
            double[] gxScale = new double[xf.length];
            double[] gwScale = new double[channels];
            double[] gbScale = new double[channels];
            for (int i = 0; i < xf.length; i++) {
                int ch = i / hw % channels;
                gbScale[ch] += Math.abs(gyf[i]);
                gwScale[ch] += Math.abs(gyf[i] * (xf[i] - saveMeanF[ch]) * saveInvStdF[ch]);
            }
            for (int i = 0; i < xf.length; i++) {
                int ch = i / hw % channels;
                double invStd = saveInvStdF[ch];
                gxScale[i] = Math.abs((affine ? weightF[ch] : 1) * invStd) * (Math.abs(gyf[i]) + gbScale[ch] / count
                        + Math.abs(xf[i] - saveMeanF[ch]) * gwScale[ch] * invStd / count);
            }
            return new F32Twin(outF, outD, new float[][] {saveMeanF, saveInvStdF, meanF, varF},
                    new double[][] {saveMeanD, saveInvStdD, meanD, varD}, gxF, gxD, gwF, gwD, gbF, gbD, gxScale,
                    gwScale, gbScale);
        }

        void check(double tol) {
            F32Checks.assertClose("out", outD, outF, tol, scaleOf(outD));
            String[] stats = {"saveMean", "saveInvStd", "runningMean", "runningVar"};
            for (int k = 0; k < stats.length; k++) {
                F32Checks.assertClose(stats[k], statsD[k], statsF[k], tol, scaleOf(statsD[k]));
            }
            F32Checks.assertClose("gradInput", gxD, gxF, tol, gxScale);
            F32Checks.assertClose("gradWeight", gwD, gwF, tol, gwScale);
            F32Checks.assertClose("gradBias", gbD, gbF, tol, gbScale);
        }
    }

    /** Every element judged against the array's largest magnitude (at least 1). */
    private static double[] scaleOf(double[] ref) {
        double max = 1;
        for (double v : ref) {
            max = Math.max(max, Math.abs(v));
        }
        double[] scale = new double[ref.length];
        Arrays.fill(scale, max);
        return scale;
    }

    @Property(tries = 100)
    void backwardMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 4) int channels,
            @ForAll @IntRange(min = 1, max = 5) int h, @ForAll @IntRange(min = 1, max = 5) int w,
            @ForAll boolean affine, @ForAll long seed) {
        int hw = h * w;
        Assume.that(batch * hw > 1);
        Random rnd = new Random(seed);
        double[] x = channelData(rnd, batch, channels, hw);
        double[] weight = affine ? gaussian(rnd, channels) : null;
        double[] bias = affine ? gaussian(rnd, channels) : null;
        double[] r = gaussian(rnd, x.length);

        Gradients analytic = Gradients.of(r, x, batch, channels, hw, weight, bias);
        assertGradient(analytic.input, numericGradient(x, FD_STEP, v -> loss(r, v, batch, channels, hw, weight, bias)), rnd);
        assertGradient(analytic.bias, numericGradient(new double[channels], FD_STEP,
                v -> loss(r, x, batch, channels, hw, weight, add(bias, v))), rnd);
        if (affine) {
            assertGradient(analytic.weight, numericGradient(weight, FD_STEP, v -> loss(r, x, batch, channels, hw, v, bias)),
                    rnd);
        } else {
            // Without a weight the weight gradient is the one of a weight fixed at 1.
            double[] ones = new double[channels];
            Arrays.fill(ones, 1);
            assertGradient(analytic.weight, numericGradient(ones, FD_STEP, v -> loss(r, x, batch, channels, hw, v, null)),
                    rnd);
        }
    }

    /** The inference-mode input gradient, which ignores the batch statistics, must fail the same check. */
    @Test
    void gradientCheckRejectsTheGradientThatIgnoresBatchStatistics() {
        int batch = 2;
        int channels = 3;
        int hw = 5;
        Random rnd = new Random(11);
        double[] x = channelData(rnd, batch, channels, hw);
        double[] weight = gaussian(rnd, channels);
        double[] r = gaussian(rnd, x.length);
        Gradients analytic = Gradients.of(r, x, batch, channels, hw, weight, null);
        double[] numeric = numericGradient(x, FD_STEP, v -> loss(r, v, batch, channels, hw, weight, null));
        assertTrue(gradientError(analytic.input, numeric) <= GRAD_TOL);

        double[] frozen = new double[x.length];
        for (int b = 0; b < batch; b++) {
            for (int ch = 0; ch < channels; ch++) {
                for (int i = 0; i < hw; i++) {
                    int k = (b * channels + ch) * hw + i;
                    frozen[k] = r[k] * weight[ch] * analytic.saveInvStd[ch];
                }
            }
        }
        assertTrue(gradientError(frozen, numeric) > GRAD_TOL);
    }

    @Test
    void runningStatisticsFollowTheHandComputation() {
        // Channel 0 holds {1, 2, 3, 4}: mean 2.5, biased var 1.25, unbiased 5/3.
        // Channel 1 holds {10, 20, 30, 40}: mean 25, biased var 125, unbiased 500/3.
        double[] x = {1, 2, 10, 20, 3, 4, 30, 40};
        double[] runningMean = {0.5, -1};
        double[] runningVar = {2, 3};
        double[] saveMean = new double[2];
        double[] saveInvStd = new double[2];
        double[] out = new double[8];
        BatchNormKernels.trainForward(x, 2, 2, 2, null, null, runningMean, runningVar, 0.1, EPS, out, saveMean,
                saveInvStd);
        double[] expectedMean = {0.9 * 0.5 + 0.1 * 2.5, 0.9 * -1 + 0.1 * 25};
        double[] expectedVar = {0.9 * 2 + 0.1 * 5 / 3.0, 0.9 * 3 + 0.1 * 500 / 3.0};
        assertClose(expectedMean, runningMean, 1e-15);
        assertClose(expectedVar, runningVar, 1e-14);
        assertClose(new double[] {2.5, 25}, saveMean, 1e-15);
        assertClose(new double[] {1 / Math.sqrt(1.25 + EPS), 1 / Math.sqrt(125 + EPS)}, saveInvStd, 1e-15);
        assertEquals((1 - 2.5) / Math.sqrt(1.25 + EPS), out[0], 1e-15);
        assertEquals((40 - 25) / Math.sqrt(125 + EPS), out[7], 1e-14);

        float[] runningMeanF = {0.5f, -1};
        float[] runningVarF = {2, 3};
        BatchNormKernels.trainForward(narrow(x), 2, 2, 2, null, null, runningMeanF, runningVarF, 0.1, EPS,
                new float[8], new float[2], new float[2]);
        assertArrayEquals(narrow(expectedMean), runningMeanF);
        assertArrayEquals(narrow(expectedVar), runningVarF);
    }

    @Test
    void nullRunningStatisticsLeaveTheOutputUnchanged() {
        Random rnd = new Random(3);
        double[] x = channelData(rnd, 2, 3, 4);
        double[] tracked = new double[x.length];
        BatchNormKernels.trainForward(x, 2, 3, 4, null, null, new double[3], new double[] {1, 1, 1}, 0.1, EPS,
                tracked, new double[3], new double[3]);
        double[] untracked = new double[x.length];
        BatchNormKernels.trainForward(x, 2, 3, 4, null, null, null, null, 0.1, EPS, untracked, new double[3],
                new double[3]);
        assertArrayEquals(tracked, untracked);
    }

    @Test
    void unwantedGradientsAreSkipped() {
        Random rnd = new Random(5);
        float[] x = narrow(channelData(rnd, 2, 3, 4));
        float[] gy = narrow(gaussian(rnd, x.length));
        float[] saveMean = new float[3];
        float[] saveInvStd = new float[3];
        BatchNormKernels.trainForward(x, 2, 3, 4, null, null, null, null, 0.1, EPS, new float[x.length], saveMean,
                saveInvStd);
        float[] gxAll = new float[x.length];
        float[] gwAll = new float[3];
        float[] gbAll = new float[3];
        BatchNormKernels.backward(gy, x, 2, 3, 4, null, saveMean, saveInvStd, gxAll, gwAll, gbAll);
        float[] gbOnly = new float[3];
        BatchNormKernels.backward(gy, x, 2, 3, 4, null, saveMean, saveInvStd, null, null, gbOnly);
        assertArrayEquals(gbAll, gbOnly);
        float[] gxOnly = new float[x.length];
        BatchNormKernels.backward(gy, x, 2, 3, 4, null, saveMean, saveInvStd, gxOnly, null, null);
        assertArrayEquals(gxAll, gxOnly);
        BatchNormKernels.backward(gy, x, 2, 3, 4, null, saveMean, saveInvStd, null, null, null);
    }

    @Test
    void oneValuePerChannelIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> BatchNormKernels.trainForward(new float[3], 1, 3,
                1, null, null, null, null, 0.1, EPS, new float[3], new float[3], new float[3]));
        assertTrue(e.getMessage().startsWith(
                "batch_norm: expected more than 1 value per channel when training, got input of size"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BatchNormKernels.trainForward(new double[2], 1, 2, 1, null,
                null, null, null, 0.1, EPS, new double[2], new double[2], new double[2]));
    }

    // ---- reference and helpers ----------------------------------------------------------------------------------

    /** Batch statistics and output computed by direct summation over (b, i) for each channel. */
    private record Reference(double[] out, double[] mean, double[] biasedVar) {
        static Reference of(double[] x, int n, int c, int hw, double[] weight, double[] bias, double eps) {
            double[] mean = new double[c];
            double[] var = new double[c];
            double[] out = new double[x.length];
            int count = n * hw;
            for (int ch = 0; ch < c; ch++) {
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < hw; i++) {
                        mean[ch] += x[(b * c + ch) * hw + i] / count;
                    }
                }
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < hw; i++) {
                        double d = x[(b * c + ch) * hw + i] - mean[ch];
                        var[ch] += d * d / count;
                    }
                }
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < hw; i++) {
                        int k = (b * c + ch) * hw + i;
                        double xhat = (x[k] - mean[ch]) / Math.sqrt(var[ch] + eps);
                        out[k] = xhat * (weight == null ? 1 : weight[ch]) + (bias == null ? 0 : bias[ch]);
                    }
                }
            }
            return new Reference(out, mean, var);
        }
    }

    /** The kernels' gradients of {@code Σ r·out}, plus the saved inverse std they used. */
    private record Gradients(double[] input, double[] weight, double[] bias, double[] saveInvStd) {
        static Gradients of(double[] r, double[] x, int n, int c, int hw, double[] weight, double[] bias) {
            double[] saveMean = new double[c];
            double[] saveInvStd = new double[c];
            BatchNormKernels.trainForward(x, n, c, hw, weight, bias, null, null, 0.1, EPS, new double[x.length],
                    saveMean, saveInvStd);
            double[] gx = new double[x.length];
            double[] gw = new double[c];
            double[] gb = new double[c];
            BatchNormKernels.backward(r, x, n, c, hw, weight, saveMean, saveInvStd, gx, gw, gb);
            return new Gradients(gx, gw, gb, saveInvStd);
        }
    }

    private static double loss(double[] r, double[] x, int n, int c, int hw, double[] weight, double[] bias) {
        double[] out = new double[x.length];
        BatchNormKernels.trainForward(x, n, c, hw, weight, bias, null, null, 0.1, EPS, out, new double[c],
                new double[c]);
        double s = 0;
        for (int i = 0; i < out.length; i++) {
            s += r[i] * out[i];
        }
        return s;
    }

    private static void assertClose(double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    /** Gaussian data with a per-channel offset and scale, so that centring and scaling both matter. */
    private static double[] channelData(Random rnd, int n, int c, int hw) {
        double[] offset = new double[c];
        double[] scale = new double[c];
        for (int ch = 0; ch < c; ch++) {
            offset[ch] = 4 * rnd.nextGaussian();
            scale[ch] = 0.5 + 1.5 * rnd.nextDouble();
        }
        double[] x = new double[n * c * hw];
        for (int k = 0; k < x.length; k++) {
            int ch = k / hw % c;
            x[k] = offset[ch] + scale[ch] * rnd.nextGaussian();
        }
        return x;
    }

    private static double[] gaussian(Random rnd, int size) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
            x[i] = rnd.nextGaussian();
        }
        return x;
    }

    private static double[] positive(Random rnd, int size) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
            x[i] = 0.5 + rnd.nextDouble();
        }
        return x;
    }

    /** {@code base + delta}, where a null base counts as zeros. */
    private static double[] add(double[] base, double[] delta) {
        double[] s = delta.clone();
        if (base != null) {
            for (int i = 0; i < s.length; i++) {
                s[i] += base[i];
            }
        }
        return s;
    }

    private static double[] widenOrNull(float[] x) {
        return x == null ? null : widen(x);
    }
}
