package dev.graft.engine.nn;

import dev.graft.engine.BackwardTrace;
import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Forward and backward of the layers that run the convolution, pooling and batch-norm kernels. */
class NnForwardTest {
    private static void assertClose(double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, "element " + i);
        }
    }

    /** The convolution sum written out directly, in double precision. */
    private static double[] convByHand(Tensor x, Conv2d conv) {
        int[] s = x.shape();
        int n = s[0];
        int c = s[1];
        int h = s[2];
        int w = s[3];
        int o = conv.outChannels();
        int k = conv.kernelSize()[0];
        int st = conv.stride()[0];
        int p = conv.padding()[0];
        int d = conv.dilation()[0];
        int groupC = c / conv.groups();
        int groupO = o / conv.groups();
        int oh = (h + 2 * p - d * (k - 1) - 1) / st + 1;
        int ow = (w + 2 * p - d * (k - 1) - 1) / st + 1;
        double[] xv = x.toDoubleArray();
        double[] wv = conv.weight().tensor().toDoubleArray();
        double[] bv = conv.bias() == null ? new double[o] : conv.bias().tensor().toDoubleArray();
        double[] out = new double[n * o * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int oc = 0; oc < o; oc++) {
                int firstC = oc / groupO * groupC;
                for (int y = 0; y < oh; y++) {
                    for (int xx = 0; xx < ow; xx++) {
                        double acc = bv[oc];
                        for (int ic = 0; ic < groupC; ic++) {
                            for (int ky = 0; ky < k; ky++) {
                                for (int kx = 0; kx < k; kx++) {
                                    int iy = y * st - p + ky * d;
                                    int ix = xx * st - p + kx * d;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        acc += xv[((b * c + firstC + ic) * h + iy) * w + ix]
                                                * wv[((oc * groupC + ic) * k + ky) * k + kx];
                                    }
                                }
                            }
                        }
                        out[((b * o + oc) * oh + y) * ow + xx] = acc;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void conv2dForwardEqualsFunctionalWithItsParameters() {
        var gen = new Generator(1);
        var conv = new Conv2d(4, 6, 3, 2, 1, 1, 2, true, gen);
        Tensor x = Tensor.randn(gen, 2, 4, 7, 7);
        Tensor y = conv.forward(x);
        assertArrayEquals(new int[] {2, 6, 4, 4}, y.shape());
        Tensor direct = Functional.conv2d(x, conv.weight().tensor(), conv.bias().tensor(), new int[] {2, 2},
                new int[] {1, 1}, new int[] {1, 1}, 2);
        assertArrayEquals(direct.toDoubleArray(), y.toDoubleArray());
        assertClose(convByHand(x, conv), y.toDoubleArray(), 1e-4);

        var dilated = new Conv2d(3, 5, 3, 1, 2, 2, 1, false, gen);
        Tensor x2 = Tensor.randn(gen, 1, 3, 6, 6);
        assertClose(convByHand(x2, dilated), dilated.forward(x2).toDoubleArray(), 1e-4);
    }

    @Test
    void conv2dBackwardFillsParameterGradients() {
        var gen = new Generator(2);
        var conv = new Conv2d(3, 4, 3, 1, 1, true, gen);
        conv.forward(Tensor.randn(gen, 2, 3, 5, 5)).sum().backward();
        assertArrayEquals(new int[] {4, 3, 3, 3}, conv.weight().grad().shape());
        assertArrayEquals(new double[] {50, 50, 50, 50}, conv.bias().grad().toDoubleArray(), 1e-4);
    }

    /** Per-channel {mean, biased variance, unbiased variance} of a [N, C, H, W] tensor. */
    private static double[][] channelStats(Tensor x) {
        int c = x.size(1);
        int plane = x.size(2) * x.size(3);
        int count = x.size(0) * plane;
        double[] v = x.toDoubleArray();
        double[][] stats = new double[3][c];
        for (int i = 0; i < v.length; i++) {
            stats[0][(i / plane) % c] += v[i] / count;
        }
        for (int i = 0; i < v.length; i++) {
            int ch = (i / plane) % c;
            double dev = v[i] - stats[0][ch];
            stats[1][ch] += dev * dev / count;
            stats[2][ch] += dev * dev / (count - 1);
        }
        return stats;
    }

    private static Tensor shiftedBatch(Generator gen) {
        return Tensor.randn(gen, 4, 3, 5, 5).mul(2).add(1);
    }

    @Test
    void batchNormTrainingNormalisesWithBatchStatisticsAndUpdatesRunningOnes() {
        var gen = new Generator(3);
        var bn = new BatchNorm2d(3);
        Tensor x = shiftedBatch(gen);
        double[][] in = channelStats(x);
        Tensor y = bn.forward(x);
        double[][] out = channelStats(y);
        for (int c = 0; c < 3; c++) {
            assertEquals(0, out[0][c], 1e-4);
            assertEquals(in[1][c] / (in[1][c] + 1e-5), out[1][c], 1e-3);
            assertEquals(0.1 * in[0][c], bn.runningMean().get(c), 1e-4);
            assertEquals(0.9 + 0.1 * in[2][c], bn.runningVar().get(c), 1e-4);
        }
        assertEquals(1, bn.numBatchesTracked().item());
        bn.forward(shiftedBatch(gen)).mul(Tensor.randn(gen, 4, 3, 5, 5)).sum().backward();
        assertEquals(2, bn.numBatchesTracked().item());
        assertNotNull(bn.weight().grad());
        assertNotNull(bn.bias().grad());
    }

    @Test
    void batchNormWithoutMomentumKeepsACumulativeAverage() {
        var gen = new Generator(4);
        var bn = new BatchNorm2d(3, 1e-5, null, true, true);
        Tensor a = shiftedBatch(gen);
        Tensor b = shiftedBatch(gen);
        bn.forward(a);
        bn.forward(b);
        double[][] sa = channelStats(a);
        double[][] sb = channelStats(b);
        for (int c = 0; c < 3; c++) {
            assertEquals((sa[0][c] + sb[0][c]) / 2, bn.runningMean().get(c), 1e-4);
            assertEquals((sa[2][c] + sb[2][c]) / 2, bn.runningVar().get(c), 1e-4);
        }
        assertEquals(2, bn.numBatchesTracked().item());
    }

    @Test
    void frozenBatchNormCanOptIntoBatchStatistics() {
        var gen = new Generator(5);
        var bn = new BatchNorm2d(3);
        bn.freeze();
        bn.setUseBatchStatsWhenFrozen(true);
        Tensor x = shiftedBatch(gen);
        double[][] out = channelStats(bn.forward(x));
        double[][] in = channelStats(x);
        for (int c = 0; c < 3; c++) {
            assertEquals(0, out[0][c], 1e-4);
            assertEquals(0.1 * in[0][c], bn.runningMean().get(c), 1e-4);
        }
        assertEquals(1, bn.numBatchesTracked().item());
    }

    @Test
    void frozenBatchNormByDefaultLeavesRunningStatisticsAlone() {
        var gen = new Generator(6);
        var bn = new BatchNorm2d(3);
        bn.forward(shiftedBatch(gen));
        double[] mean = bn.runningMean().toDoubleArray();
        double[] var = bn.runningVar().toDoubleArray();
        bn.freeze();
        Tensor x = shiftedBatch(gen);
        Tensor y = bn.forward(x);
        bn.eval();
        assertArrayEquals(bn.forward(x).toDoubleArray(), y.toDoubleArray(), "same as evaluation mode");
        assertArrayEquals(mean, bn.runningMean().toDoubleArray());
        assertArrayEquals(var, bn.runningVar().toDoubleArray());
        assertEquals(1, bn.numBatchesTracked().item());
    }

    @Test
    void poolingLayersMatchHandValuesAndFunctional() {
        Tensor x = Tensor.arange(16).reshape(1, 1, 4, 4);
        assertArrayEquals(new double[] {5, 7, 13, 15}, new MaxPool2d(3, 2, 1).forward(x).toDoubleArray());
        assertArrayEquals(Functional.maxPool2d(x, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}).toDoubleArray(),
                new MaxPool2d(3, 2, 1).forward(x).toDoubleArray());
        assertArrayEquals(new double[] {2.5, 4.5, 10.5, 12.5}, new AvgPool2d(2).forward(x).toDoubleArray());
        assertArrayEquals(new double[] {2.5, 4.5, 10.5, 12.5}, new AdaptiveAvgPool2d(2).forward(x).toDoubleArray());
        assertArrayEquals(new double[] {7.5}, new AdaptiveAvgPool2d(1).forward(x).toDoubleArray());

        Tensor ones = Tensor.ones(1, 1, 3, 3);
        assertEquals(4.0 / 9, new AvgPool2d(3, 1, 1, true).forward(ones).get(0, 0, 0, 0), 1e-6);
        assertEquals(1, new AvgPool2d(3, 1, 1, false).forward(ones).get(0, 0, 0, 0), 1e-6);
    }

    @Test
    void fineTuningOnlyTheLastStageTouchesOnlyItsParametersAndStatistics() {
        var gen = new Generator(7);
        var net = new TestModels.TinyResNet(gen);
        net.freeze();
        net.setTrainable("layer4.**", true);
        net.setTrainable("fc.*", true);
        Map<String, Tensor> before = net.stateDict();
        before.replaceAll((k, t) -> Tensor.zeros(t.dtype(), t.shape()).copyFrom(t));

        Tensor logits = net.forward(Tensor.randn(gen, 2, 3, 8, 8));
        assertArrayEquals(new int[] {2, 3}, logits.shape());
        try (var trace = BackwardTrace.start()) {
            logits.sum().backward();
            assertEquals(3, trace.nodes().stream().filter("conv2d"::equals).count(), trace.nodes().toString());
            assertFalse(trace.nodes().contains("max_pool2d"), trace.nodes().toString());
        }
        net.namedParameters().forEach((name, p) -> {
            boolean tuned = name.startsWith("layer4.") || name.startsWith("fc.");
            if (tuned) {
                assertNotNull(p.grad(), name);
            } else {
                assertNull(p.grad(), name);
            }
        });
        net.namedBuffers().forEach((name, t) -> {
            boolean same = Arrays.equals(before.get(name).toDoubleArray(), t.toDoubleArray());
            assertEquals(!name.startsWith("layer4."), same, name);
        });
        assertEquals(1, net.stateDict().get("layer4.0.downsample.1.num_batches_tracked").item());

        net.eval();
        Tensor probe = Tensor.randn(gen, 1, 3, 8, 8);
        assertArrayEquals(net.forward(probe).toDoubleArray(), net.forward(probe).toDoubleArray());
        assertEquals(1, net.stateDict().get("layer4.0.bn1.num_batches_tracked").item(), "evaluation counts no batch");
    }
}
