package dev.graft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.ConvGeometry;
import dev.graft.engine.cpu.Conv2dKernels;
import dev.graft.engine.cpu.Gemm;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** FLOP counts and per-pass GEMM shapes of a convolution, checked against the convolution kernels. */
class ConvLayerTest {
    @Test
    void flopsAndGemmsOfKnownLayers() {
        // 2·8·64·(3·7·7)·112·112
        assertEquals(1_888_223_232.0, ResNet50Layers.get("stem_7x7_s2").flops(8));
        ConvLayer l2 = ResNet50Layers.get("l2_3x3");
        assertEquals(new GemmShape(false, false, 128, 784, 1152), l2.gemm(ConvPass.FORWARD));
        assertEquals(new GemmShape(true, false, 1152, 784, 128), l2.gemm(ConvPass.BACKWARD_DATA));
        assertEquals(new GemmShape(false, true, 128, 1152, 784), l2.gemm(ConvPass.BACKWARD_WEIGHT));
        assertEquals("TN 1152x784x128", l2.gemm(ConvPass.BACKWARD_DATA).toString());
        // four 7x7 images side by side: P = 4·49 columns
        ConvLayer l4 = ResNet50Layers.get("l4_3x3");
        assertEquals(new GemmShape(false, true, 512, 4608, 196), l4.gemm(ConvPass.BACKWARD_WEIGHT, 4));
        assertEquals(4 * l4.gemm(ConvPass.FORWARD).flops(), l4.gemm(ConvPass.FORWARD, 4).flops());
    }

    @Test
    void eachPassGemmTimesTheBatchCostsWhatTheConvolutionDoes() {
        for (ConvLayer l : ResNet50Layers.distinct()) {
            for (ConvPass pass : ConvPass.values()) {
                assertEquals(l.flops(ResNet50Layers.BATCH), ResNet50Layers.BATCH * l.gemm(pass).flops(),
                        l.name() + " " + pass);
            }
        }
    }

    /**
     * A 1x1 stride-1 convolution of one image is exactly its GEMM (the column matrix is the image), so each pass
     * computed by {@code Conv2dKernels} must equal {@code dgemm} run with the shape and transposes of
     * {@link ConvLayer#gemm} on the convolution's own arrays.
     */
    @Property(tries = 50)
    void pointwisePassesAreTheirGemms(@ForAll @IntRange(min = 1, max = 9) int inC,
                                       @ForAll @IntRange(min = 1, max = 7) int size,
                                       @ForAll @IntRange(min = 1, max = 9) int outC,
                                       @ForAll long seed) {
        ConvLayer l = new ConvLayer("p", "p", inC, size, outC, 1, 1, 0);
        ConvGeometry g = l.geometry(1);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = GemmBench.random(rnd, inC * size * size);
        float[] w = GemmBench.random(rnd, outC * inC);
        float[] gy = GemmBench.random(rnd, outC * size * size);
        assertClose(viaGemm(l.gemm(ConvPass.FORWARD), w, x), Conv2dKernels.forward(x, w, null, g));
        assertClose(viaGemm(l.gemm(ConvPass.BACKWARD_DATA), w, gy), Conv2dKernels.backwardInput(gy, w, g));
        assertClose(viaGemm(l.gemm(ConvPass.BACKWARD_WEIGHT), gy, x), Conv2dKernels.backwardWeight(gy, x, g));
    }

    @Test
    void theComparisonCatchesAWrongTranspose() {
        ConvLayer l = new ConvLayer("p", "p", 5, 3, 5, 1, 1, 0);
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = GemmBench.random(rnd, 5 * 9);
        float[] w = GemmBench.random(rnd, 25);
        GemmShape right = l.gemm(ConvPass.FORWARD);
        GemmShape wrong = new GemmShape(true, false, right.m(), right.n(), right.k());
        float[] y = Conv2dKernels.forward(x, w, null, l.geometry(1));
        assertClose(viaGemm(right, w, x), y);
        assertThrows(AssertionError.class, () -> assertClose(viaGemm(wrong, w, x), y));
    }

    @Test
    void parseRejectsMalformedShapes() {
        assertEquals(new GemmShape(false, false, 2, 3, 4), GemmShape.parse("2x3x4"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmShape.parse("2x3"));
        assertTrue(e.getMessage().contains("'2x3'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GemmShape.parse("2xax4"));
        assertThrows(IllegalArgumentException.class, () -> GemmShape.parse("0x3x4"));
        assertThrows(IllegalArgumentException.class, () -> ConvPass.of("backward"));
    }

    private static float[] viaGemm(GemmShape s, float[] a, float[] b) {
        double[] c = new double[s.m() * s.n()];
        Gemm.dgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), toDouble(a), 0, s.lda(), toDouble(b), 0, s.ldb(),
                c, 0, s.n(), false);
        float[] out = new float[c.length];
        for (int i = 0; i < c.length; i++) {
            out[i] = (float) c[i];
        }
        return out;
    }

    static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])), "element " + i);
        }
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
