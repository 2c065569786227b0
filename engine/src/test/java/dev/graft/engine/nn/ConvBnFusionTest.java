package dev.graft.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.DType;
import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The fused conv → batch norm → residual → ReLU against the same modules run one after another in double
 * precision, and the rules that decide when fusion applies.
 */
class ConvBnFusionTest {
    @Property(tries = 60)
    void fusedMatchesTheModulesRunInTurn(
            @ForAll @IntRange(min = 1, max = 3) int batch,
            @ForAll @IntRange(min = 1, max = 5) int in,
            @ForAll @IntRange(min = 1, max = 20) int out,
            @ForAll @IntRange(min = 0, max = 3) int kernelHalf,
            @ForAll @IntRange(min = 1, max = 2) int stride,
            @ForAll @IntRange(min = 3, max = 12) int size,
            @ForAll boolean convBias,
            @ForAll boolean affine,
            @ForAll boolean withResidual,
            @ForAll boolean relu,
            @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Generator gen = new Generator(seed);
        int k = 2 * kernelHalf + 1;
        Conv2d conv = new Conv2d(in, out, k, stride, kernelHalf, convBias, gen);
        BatchNorm2d bn = new BatchNorm2d(out, 1e-5, 0.1, affine, true);
        randomiseStatistics(bn, gen);
        bn.eval();
        Tensor x = Tensor.randn(gen, batch, in, size, size);
        int outSize = (size - 1) / stride + 1;
        Tensor residual = withResidual ? Tensor.randn(gen, batch, out, outSize, outSize) : null;

        double[] expected = unfusedInDouble(conv, bn, x, residual, relu);
        try (var _ = NoGrad.enter()) {
            assertTrue(ConvBnFusion.fusible(conv, bn, x, residual));
            float[] actual = ConvBnFusion.forward(conv, bn, x, residual, relu).toFloatArray();
            assertClose(expected, actual);
        }
    }

    /** The tolerance above is tight enough to see a dropped term: the checker must reject a wrong epilogue. */
    @Test
    void theComparisonCatchesAMissingResidual() {
        Generator gen = new Generator(3);
        Conv2d conv = new Conv2d(3, 8, 3, 1, 1, false, gen);
        BatchNorm2d bn = new BatchNorm2d(8);
        randomiseStatistics(bn, gen);
        bn.eval();
        Tensor x = Tensor.randn(gen, 2, 3, 6, 6);
        Tensor residual = Tensor.randn(gen, 2, 8, 6, 6);
        double[] expected = unfusedInDouble(conv, bn, x, residual, true);
        try (var _ = NoGrad.enter()) {
            float[] withoutResidual = ConvBnFusion.forward(conv, bn, x, null, true).toFloatArray();
            assertThrows(AssertionError.class, () -> assertClose(expected, withoutResidual));
        }
    }

    @Test
    void f64TensorsTakeTheReferenceKernel() {
        Generator gen = new Generator(4);
        Tensor x = Tensor.randn(gen, 2, 2, 7, 7).to(DType.F64);
        Tensor w = Tensor.randn(gen, 5, 2, 3, 3).to(DType.F64);
        Tensor scale = Tensor.randn(gen, 5).to(DType.F64);
        Tensor shift = Tensor.randn(gen, 5).to(DType.F64);
        Tensor residual = Tensor.randn(gen, 2, 5, 4, 4).to(DType.F64);
        int[] two = {2, 2};
        int[] one = {1, 1};
        Tensor unfused = Functional.conv2d(x, w, null, two, one, one, 1).mul(scale.reshape(1, 5, 1, 1))
                .add(shift.reshape(1, 5, 1, 1)).add(residual).relu();
        Tensor fused = Functional.conv2dFused(x, w, scale, shift, residual, true, two, one, one, 1);
        assertEquals(DType.F64, fused.dtype());
        double[] u = unfused.toDoubleArray();
        double[] f = fused.toDoubleArray();
        for (int i = 0; i < u.length; i++) {
            assertEquals(u[i], f[i], 1e-12, "element " + i);
        }
    }

    @Test
    void fusesOnlyWithRunningStatisticsAndNoGradientNeeded() {
        Generator gen = new Generator(5);
        Conv2d conv = new Conv2d(3, 4, 3, 1, 1, false, gen);
        BatchNorm2d bn = new BatchNorm2d(4);
        Tensor x = Tensor.randn(gen, 1, 3, 5, 5);

        // Training mode normalises with batch statistics: never fused, even without gradients.
        try (var _ = NoGrad.enter()) {
            assertFalse(ConvBnFusion.fusible(conv, bn, x, null));
        }
        bn.eval();
        // Trainable parameters with grad enabled: the modules run in turn and the result has a history.
        assertFalse(ConvBnFusion.fusible(conv, bn, x, null));
        Tensor y = ConvBnFusion.forward(conv, bn, x, null, true);
        y.sum().backward();
        assertNotNull(conv.weight().tensor().grad());
        assertNotNull(bn.weight().tensor().grad());

        // A frozen conv and batch norm in training mode feeding on an input without grad: fused.
        bn.train();
        conv.freeze();
        bn.freeze();
        assertTrue(ConvBnFusion.fusible(conv, bn, x, null));
        float[] before = bn.runningMean().toFloatArray();
        ConvBnFusion.forward(conv, bn, x, null, true);
        assertArrayEquals(before, bn.runningMean().toFloatArray(), "running mean kept");
        // ...but not when the input itself needs a gradient.
        assertFalse(ConvBnFusion.fusible(conv, bn, Tensor.of(x.toFloatArray(), x.shape()).requiresGrad(true), null));
    }

    @Test
    void theFusedOpRefusesInputsThatNeedAGradient() {
        Tensor x = Tensor.zeros(1, 2, 3, 3).requiresGrad(true);
        var e = assertThrows(IllegalArgumentException.class, () -> Functional.conv2dFused(x,
                Tensor.zeros(4, 2, 1, 1), null, null, null, true, new int[] {1, 1}, new int[] {0, 0},
                new int[] {1, 1}, 1));
        assertEquals("conv2d_fused: records no gradient, but an input of shape [1, 2, 3, 3] requires one; use conv2d"
                + " and batch_norm, or NoGrad", e.getMessage());
        var shape = assertThrows(IllegalArgumentException.class, () -> Functional.conv2dFused(x.detach(),
                Tensor.zeros(4, 2, 1, 1), Tensor.ones(3), null, null, false, new int[] {1, 1}, new int[] {0, 0},
                new int[] {1, 1}, 1));
        assertTrue(shape.getMessage().contains("shape [3] does not match 4 output channels"), shape.getMessage());
    }

    private static void randomiseStatistics(BatchNorm2d bn, Generator gen) {
        int c = bn.numFeatures();
        try (var _ = NoGrad.enter()) {
            bn.runningMean().copyFrom(Tensor.randn(gen, c));
            bn.runningVar().copyFrom(Tensor.rand(gen, c).add(0.5));
            if (bn.weight() != null) {
                bn.weight().tensor().copyFrom(Tensor.randn(gen, c));
                bn.bias().tensor().copyFrom(Tensor.randn(gen, c));
            }
        }
    }

    /** conv, batch norm, add and ReLU as separate F64 operations on F64 copies of the same values. */
    private static double[] unfusedInDouble(Conv2d conv, BatchNorm2d bn, Tensor x, Tensor residual, boolean relu) {
        try (var _ = NoGrad.enter()) {
            Tensor out = Functional.conv2d(x.to(DType.F64), f64(conv.weight()), f64(conv.bias()), conv.stride(),
                    conv.padding(), conv.dilation(), conv.groups());
            out = Functional.batchNorm(out, bn.runningMean().to(DType.F64), bn.runningVar().to(DType.F64),
                    f64(bn.weight()), f64(bn.bias()), false, 0, bn.eps());
            if (residual != null) {
                out = out.add(residual.to(DType.F64));
            }
            return (relu ? out.relu() : out).toDoubleArray();
        }
    }

    private static Tensor f64(Parameter p) {
        return p == null ? null : p.tensor().to(DType.F64);
    }

    private static void assertClose(double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        double scale = 1e-6;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * scale, "element " + i);
        }
    }
}
