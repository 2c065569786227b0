package dev.graft.engine.nn;

import dev.graft.engine.DType;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InitTest {
    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElseThrow();
    }

    private static double std(double[] v) {
        double m = mean(v);
        return Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / (v.length - 1));
    }

    private static double maxAbs(double[] v) {
        return Arrays.stream(v).map(Math::abs).max().orElseThrow();
    }

    @Test
    void kaimingNormalFanOutReluHasHeStd() {
        Tensor w = Tensor.zeros(256, 128, 3, 3);
        assertSame(w, Init.kaimingNormal(w, Init.FanMode.FAN_OUT, Init.Nonlinearity.RELU, new Generator(1)));
        double[] v = w.toDoubleArray();
        double expected = Math.sqrt(2) / Math.sqrt(256 * 9);
        assertEquals(expected, std(v), 0.01 * expected);
        assertEquals(0, mean(v), 0.01 * expected);
    }

    @Test
    void kaimingNormalFanInUsesInputChannels() {
        Tensor w = Tensor.zeros(64, 512, 1, 1);
        Init.kaimingNormal(w, Init.FanMode.FAN_IN, Init.Nonlinearity.LINEAR, new Generator(2));
        assertEquals(1 / Math.sqrt(512), std(w.toDoubleArray()), 0.02 / Math.sqrt(512));
    }

    @Test
    void kaimingUniformBoundFollowsLeakyReluGain() {
        Tensor w = Tensor.zeros(200, 300);
        Init.kaimingUniform(w, 0, new Generator(3));
        double bound = Math.sqrt(3) * Math.sqrt(2) / Math.sqrt(300);
        double[] v = w.toDoubleArray();
        assertTrue(maxAbs(v) <= bound && maxAbs(v) > 0.99 * bound, "max " + maxAbs(v) + " bound " + bound);
        assertEquals(bound / Math.sqrt(3), std(v), 0.02 * bound);
    }

    @Test
    void linearDefaultMatchesPyTorchBounds() {
        var fc = new Linear(400, 300, true, new Generator(4));
        double bound = 1 / Math.sqrt(400);
        double[] w = fc.weight().tensor().toDoubleArray();
        double[] b = fc.bias().tensor().toDoubleArray();
        assertTrue(maxAbs(w) <= bound && maxAbs(w) > 0.99 * bound, "weight max " + maxAbs(w));
        assertEquals(bound / Math.sqrt(3), std(w), 0.02 * bound);
        assertTrue(maxAbs(b) <= bound && maxAbs(b) > 0.9 * bound, "bias max " + maxAbs(b));
        assertArrayEquals(new int[] {300, 400}, fc.weight().tensor().shape());
    }

    @Test
    void conv2dDefaultUsesFanInPerGroup() {
        var conv = new Conv2d(32, 64, 3, 1, 1, 1, 4, true, new Generator(5));
        assertArrayEquals(new int[] {64, 8, 3, 3}, conv.weight().tensor().shape());
        double bound = 1 / Math.sqrt(8 * 9);
        double[] w = conv.weight().tensor().toDoubleArray();
        assertTrue(maxAbs(w) <= bound && maxAbs(w) > 0.98 * bound, "weight max " + maxAbs(w));
        double[] b = conv.bias().tensor().toDoubleArray();
        assertTrue(maxAbs(b) <= bound, "bias max " + maxAbs(b));
    }

    @Test
    void sameSeedGivesSameWeights() {
        var a = new Conv2d(3, 8, 3, 1, 1, true, new Generator(9));
        var b = new Conv2d(3, 8, 3, 1, 1, true, new Generator(9));
        var c = new Conv2d(3, 8, 3, 1, 1, true, new Generator(10));
        assertArrayEquals(a.weight().tensor().toDoubleArray(), b.weight().tensor().toDoubleArray());
        assertArrayEquals(a.bias().tensor().toDoubleArray(), b.bias().tensor().toDoubleArray());
        assertFalse(Arrays.equals(a.weight().tensor().toDoubleArray(), c.weight().tensor().toDoubleArray()));
    }

    @Test
    void batchNormStartsAtIdentity() {
        var bn = new BatchNorm2d(3);
        assertArrayEquals(new double[] {1, 1, 1}, bn.weight().tensor().toDoubleArray());
        assertArrayEquals(new double[] {0, 0, 0}, bn.bias().tensor().toDoubleArray());
        assertArrayEquals(new double[] {0, 0, 0}, bn.runningMean().toDoubleArray());
        assertArrayEquals(new double[] {1, 1, 1}, bn.runningVar().toDoubleArray());
        assertEquals(DType.I64, bn.numBatchesTracked().dtype());
        assertEquals(0, bn.numBatchesTracked().dim());
        assertEquals(0, bn.numBatchesTracked().item());
    }

    @Test
    void uniformNormalAndConstants() {
        var gen = new Generator(11);
        double[] u = Init.uniform(Tensor.zeros(DType.F64, 20000), -2, 3, gen).toDoubleArray();
        assertTrue(Arrays.stream(u).allMatch(x -> x >= -2 && x < 3));
        assertEquals(0.5, mean(u), 0.05);
        double[] n = Init.normal(Tensor.zeros(100, 200), 1.5, 0.5, gen).toDoubleArray();
        assertEquals(1.5, mean(n), 0.01);
        assertEquals(0.5, std(n), 0.01);
        assertArrayEquals(new double[] {0.25, 0.25}, Init.constant(Tensor.zeros(2), 0.25).toDoubleArray());
        assertArrayEquals(new double[] {1, 1}, Init.ones(Tensor.zeros(2)).toDoubleArray());
        assertArrayEquals(new double[] {0, 0}, Init.zeros(Tensor.ones(2)).toDoubleArray());
    }

    @Test
    void initialisingAParameterKeepsItATrainableLeaf() {
        var p = new Parameter(Tensor.zeros(4, 4));
        Init.kaimingNormal(p.tensor(), Init.FanMode.FAN_OUT, Init.Nonlinearity.RELU, new Generator(1));
        assertTrue(p.tensor().isLeaf() && p.tensor().requiresGrad());
    }

    @Test
    void gainsAndErrors() {
        assertEquals(Math.sqrt(2), Init.Nonlinearity.RELU.gain());
        assertEquals(5.0 / 3, Init.Nonlinearity.TANH.gain());
        assertEquals(1, Init.Nonlinearity.SIGMOID.gain());
        var gen = new Generator(1);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Init.kaimingNormal(Tensor.zeros(5), Init.FanMode.FAN_IN, Init.Nonlinearity.RELU, gen));
        assertTrue(e.getMessage().startsWith("kaimingNormal: fan in and fan out need") && e.getMessage().contains("[5]"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Init.uniform(Tensor.zeros(2), 1, 0, gen));
        assertThrows(IllegalArgumentException.class, () -> Init.normal(Tensor.zeros(2), 0, -1, gen));
    }
}
