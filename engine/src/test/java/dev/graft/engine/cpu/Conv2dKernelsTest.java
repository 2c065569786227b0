package dev.graft.engine.cpu;

import static dev.graft.engine.cpu.FloatArrays.widen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.ConvGeometry;
import dev.graft.engine.Shape;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The F32 im2col/GEMM conv2d kernels against the direct-loop F64 reference on identical data. */
class Conv2dKernelsTest {
    private static final double REL_TOL = 1e-4;

    @Property(tries = 200)
    void matchesReferenceOnRandomGeometries(
            @ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 3) int groups,
            @ForAll boolean depthwise,
            @ForAll @IntRange(min = 1, max = 4) int inPerGroup,
            @ForAll @IntRange(min = 1, max = 3) int outPerGroup,
            @ForAll @IntRange(min = 1, max = 13) int h,
            @ForAll @IntRange(min = 1, max = 13) int w,
            @ForAll @IntRange(min = 0, max = 3) int kernelH,
            @ForAll @IntRange(min = 0, max = 3) int kernelW,
            @ForAll @IntRange(min = 1, max = 2) int strideH,
            @ForAll @IntRange(min = 1, max = 2) int strideW,
            @ForAll @IntRange(min = 0, max = 3) int padH,
            @ForAll @IntRange(min = 0, max = 3) int padW,
            @ForAll @IntRange(min = 1, max = 2) int dilH,
            @ForAll @IntRange(min = 1, max = 2) int dilW,
            @ForAll boolean withBias,
            @ForAll boolean withScale,
            @ForAll boolean withResidual,
            @ForAll boolean relu,
            @ForAll @IntRange(min = 1, max = 3) int threads) {
        int kh = 2 * kernelH + 1;
        int kw = 2 * kernelW + 1;
        // Depthwise: one group per input channel. Spatial sizes grow just enough for the dilated kernel to fit.
        int c = groups * inPerGroup;
        int g = depthwise ? c : groups;
        int outC = g * outPerGroup;
        int hh = Math.max(h, dilH * (kh - 1) + 1 - 2 * padH);
        int ww = Math.max(w, dilW * (kw - 1) + 1 - 2 * padW);
        ConvGeometry geo = ConvGeometry.of(new int[] {batch, c, hh, ww}, new int[] {outC, c / g, kh, kw},
                new int[] {strideH, strideW}, new int[] {padH, padW}, new int[] {dilH, dilW}, g);
        long seed = 17L * batch + 31L * hh + ww + kh;
        checkAgainstReference(geo, withBias, threads, seed);
        checkFusedAgainstReference(geo, withScale, withBias, withResidual, relu, threads, seed);
    }

    /** The ResNet block epilogues on shapes large enough for full vectors and for image-parallel work. */
    @Test
    void fusedEpilogueOnResNetLikeShapes() {
        checkFusedAgainstReference(geometry(2, 16, 14, 14, 24, 3, 3, 1, 1, 1, 1), true, true, false, true, 2, 11);
        checkFusedAgainstReference(geometry(3, 16, 9, 9, 40, 1, 1, 1, 0, 1, 1), true, true, true, true, 2, 12);
        checkFusedAgainstReference(geometry(1, 3, 23, 23, 8, 7, 7, 2, 3, 1, 1), true, true, false, true, 1, 13);
        checkFusedAgainstReference(geometry(4, 8, 10, 10, 16, 1, 1, 2, 0, 1, 1), true, true, false, false, 3, 14);
    }

    @Test
    void fusedReluKeepsNaNAndTheCheckerCatchesAWrongEpilogue() {
        ConvGeometry g = geometry(1, 1, 1, 20, 1, 1, 1, 1, 0, 1, 1);
        float[] x = new float[20];
        x[3] = Float.NaN;
        x[4] = -2;
        x[5] = 2;
        float[] y = Conv2dKernels.forwardFused(x, new float[] {1}, new Conv2dKernels.Epilogue(null, null, null, true),
                g, 1);
        assertTrue(Float.isNaN(y[3]), "NaN through the fused ReLU: " + y[3]);
        assertEquals(0f, y[4]);
        assertEquals(2f, y[5]);

        // The same comparison that passes above must fail when the kernel skips the ReLU.
        SplittableRandom rnd = new SplittableRandom(5);
        ConvGeometry big = geometry(2, 4, 6, 6, 5, 3, 3, 1, 1, 1, 1);
        float[] xs = randomFloats(rnd, Shape.numel(big.inputShape()));
        float[] ws = randomFloats(rnd, Shape.numel(big.weightShape()));
        double[] withRelu = ReferenceConv2d.forwardFused(widen(xs), widen(ws), null, null, null, true, big);
        float[] withoutRelu = Conv2dKernels.forwardFused(xs, ws, new Conv2dKernels.Epilogue(null, null, null, false),
                big, 1);
        assertThrows(org.opentest4j.AssertionFailedError.class, () -> assertClose("relu skipped", withRelu,
                withoutRelu));
    }

    /**
     * The shortcut that reads the images as the column matrix, with groups; dilation must not matter for a 1x1
     * kernel. Small planes go several images per GEMM, whose panels then hold runs of one image's pixels (plain
     * loads) or straddle two images (gathers); 40 and 64 channels give full panels of channels to the weight
     * gradient, 20 per group only partial ones.
     */
    @Test
    void pointwiseConvolutionSkipsIm2colCorrectly() {
        checkAgainstReference(geometry(2, 6, 5, 7, 4, 1, 1, 1, 0, 1, 1), true, 1, 1);
        checkAgainstReference(geometry(3, 6, 4, 3, 9, 1, 1, 1, 0, 2, 3), false, 2, 2);
        checkAgainstReference(geometry(1, 5, 9, 9, 10, 1, 1, 2, 0, 1, 1), true, 2, 3);
        checkAgainstReference(geometry(4, 40, 6, 6, 48, 1, 1, 1, 0, 1, 1), false, 1, 4);
        checkAgainstReference(geometry(4, 40, 6, 6, 48, 1, 1, 1, 0, 1, 1), true, 2, 5);
        checkAgainstReference(geometry(5, 64, 6, 6, 40, 1, 1, 1, 0, 1, 2), false, 3, 6);
    }

    @Test
    void depthwiseAndResNetLikeShapes() {
        checkAgainstReference(geometry(2, 8, 9, 9, 8, 3, 3, 1, 1, 1, 8), true, 2, 4);
        checkAgainstReference(geometry(2, 4, 11, 11, 8, 3, 3, 2, 1, 1, 4), false, 3, 5);
        checkAgainstReference(geometry(1, 3, 23, 23, 8, 7, 7, 2, 3, 1, 1), true, 2, 6);
    }

    /**
     * Planes of 512 pixels and more go one image per GEMM; smaller ones in chunks of images, capped at 2048 columns:
     * chunks of 5 and 2 images on one thread, of 3, 3 and 1 over three.
     */
    @Test
    void imagesPerGemmFollowThePlaneSize() {
        checkAgainstReference(geometry(3, 4, 24, 24, 8, 3, 3, 1, 1, 1, 1), true, 2, 20);
        checkAgainstReference(geometry(3, 32, 24, 24, 64, 3, 3, 1, 1, 1, 1), false, 2, 21);
        checkAgainstReference(geometry(7, 3, 20, 20, 4, 3, 3, 1, 1, 1, 1), true, 1, 22);
        checkAgainstReference(geometry(7, 3, 20, 20, 4, 3, 3, 1, 1, 1, 1), false, 3, 23);
        checkAgainstReference(geometry(7, 6, 20, 20, 4, 1, 1, 1, 0, 1, 2), false, 3, 24);
        checkFusedAgainstReference(geometry(7, 3, 20, 20, 4, 3, 3, 1, 1, 1, 1), true, true, true, true, 3, 25);
    }

    /**
     * Per-image work above the small-work threshold with batch sizes that do not divide over the threads, so the
     * images run one by one and the GEMMs (and the im2col/col2im passes) are split instead.
     */
    @Test
    void largeImagesUseParallelGemm() {
        checkAgainstReference(geometry(1, 32, 20, 20, 64, 3, 3, 1, 1, 1, 1), true, 2, 7);
        checkAgainstReference(geometry(4, 16, 19, 19, 96, 3, 3, 1, 1, 1, 1), false, 3, 8);
        checkAgainstReference(geometry(1, 96, 14, 14, 256, 1, 1, 1, 0, 1, 1), false, 2, 9);
    }

    @Test
    void rejectsArraysThatDoNotMatchTheGeometry() {
        ConvGeometry g = geometry(1, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Conv2dKernels.forward(new float[31], new float[54], null, g));
        assertEquals("conv2d forward: input has 31 elements, expected 32 for shape [1, 2, 4, 4]", e.getMessage());
        var bias = assertThrows(IllegalArgumentException.class,
                () -> Conv2dKernels.forward(new float[32], new float[54], new float[2], g));
        assertTrue(bias.getMessage().contains("bias has 2 elements, expected 3"), bias.getMessage());
        var gw = assertThrows(IllegalArgumentException.class,
                () -> Conv2dKernels.backwardWeight(new float[47], new float[32], g));
        assertTrue(gw.getMessage().startsWith("conv2d backwardWeight: gradOut has 47 elements"), gw.getMessage());
    }

    private static ConvGeometry geometry(int n, int c, int h, int w, int outC, int kh, int kw, int stride, int pad,
                                         int dil, int groups) {
        return ConvGeometry.of(new int[] {n, c, h, w}, new int[] {outC, c / groups, kh, kw},
                new int[] {stride, stride}, new int[] {pad, pad}, new int[] {dil, dil}, groups);
    }

    /** Forward, backwardInput and backwardWeight in F32 against the F64 reference, fed the same float values. */
    private static void checkAgainstReference(ConvGeometry g, boolean withBias, int threads, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = randomFloats(rnd, Shape.numel(g.inputShape()));
        float[] w = randomFloats(rnd, Shape.numel(g.weightShape()));
        float[] bias = withBias ? randomFloats(rnd, g.outC()) : null;
        float[] gy = randomFloats(rnd, Shape.numel(g.outputShape()));
        String where = g + " bias=" + withBias + " threads=" + threads;

        assertClose("forward " + where, ReferenceConv2d.forward(widen(x), widen(w), bias == null ? null : widen(bias), g),
                Conv2dKernels.forward(x, w, bias, g, threads));
        assertClose("backwardInput " + where, ReferenceConv2d.backwardInput(widen(gy), widen(w), g),
                Conv2dKernels.backwardInput(gy, w, g, threads));
        assertClose("backwardWeight " + where, ReferenceConv2d.backwardWeight(widen(gy), widen(x), g),
                Conv2dKernels.backwardWeight(gy, x, g, threads));
    }

    /** forwardFused against the F64 reference twin with the chosen epilogue terms. */
    private static void checkFusedAgainstReference(ConvGeometry g, boolean withScale, boolean withShift,
                                                   boolean withResidual, boolean relu, int threads, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = randomFloats(rnd, Shape.numel(g.inputShape()));
        float[] w = randomFloats(rnd, Shape.numel(g.weightShape()));
        float[] scale = withScale ? randomFloats(rnd, g.outC()) : null;
        float[] shift = withShift ? randomFloats(rnd, g.outC()) : null;
        float[] residual = withResidual ? randomFloats(rnd, Shape.numel(g.outputShape())) : null;
        double[] expected = ReferenceConv2d.forwardFused(widen(x), widen(w), scale == null ? null : widen(scale),
                shift == null ? null : widen(shift), residual == null ? null : widen(residual), relu, g);
        float[] actual = Conv2dKernels.forwardFused(x, w, new Conv2dKernels.Epilogue(scale, shift, residual, relu), g,
                threads);
        assertClose("forwardFused " + g + " scale=" + withScale + " shift=" + withShift + " residual="
                + withResidual + " relu=" + relu + " threads=" + threads, expected, actual);
    }

    private static void assertClose(String what, double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double tol = REL_TOL * Math.max(scale, 1e-6);
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(expected[i] - actual[i]) > tol) {
                assertEquals(expected[i], actual[i], tol, what + ": element " + i + " of " + expected.length
                        + " (max magnitude " + scale + ")");
            }
        }
    }

    private static float[] randomFloats(SplittableRandom rnd, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) rnd.nextDouble(-1, 1);
        }
        return v;
    }
}
