package dev.graft.engine.nn;

import dev.graft.engine.BackwardTrace;
import dev.graft.engine.DType;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Forward, backward and argument handling of the layers whose kernels exist (elementwise, matmul, views). */
class LayersTest {
    /** x · Wᵀ + b with plain loops over the tensors' values. */
    private static double[] linearByHand(Tensor x, Linear fc) {
        int n = x.size(0);
        int in = fc.inFeatures();
        int out = fc.outFeatures();
        double[] xv = x.toDoubleArray();
        double[] w = fc.weight().tensor().toDoubleArray();
        double[] b = fc.bias() == null ? new double[out] : fc.bias().tensor().toDoubleArray();
        double[] y = new double[n * out];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double acc = b[o];
                for (int i = 0; i < in; i++) {
                    acc += xv[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = acc;
            }
        }
        return y;
    }

    private static void assertClose(double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, "element " + i);
        }
    }

    @Test
    void linearForwardIsXTimesWeightTransposedPlusBias() {
        var fc = new Linear(3, 2, true, new Generator(1));
        fc.weight().tensor().copyFrom(Tensor.of(new float[] {1, 2, 3, -1, 0, 1}, 2, 3));
        fc.bias().tensor().copyFrom(Tensor.of(new float[] {0.5f, -0.5f}, 2));
        Tensor y = fc.forward(Tensor.of(new float[] {1, 1, 1, 2, 0, -1}, 2, 3));
        assertArrayEquals(new int[] {2, 2}, y.shape());
        assertArrayEquals(new double[] {6.5, -0.5, -0.5, -3.5}, y.toDoubleArray());
    }

    @Property(tries = 25)
    void linearMatchesHandComputation(@ForAll @IntRange(min = 1, max = 6) int batch,
                                      @ForAll @IntRange(min = 1, max = 9) int in,
                                      @ForAll @IntRange(min = 1, max = 7) int out,
                                      @ForAll boolean bias) {
        var gen = new Generator(batch * 100L + in * 10L + out);
        var fc = new Linear(in, out, bias, gen);
        Tensor x = Tensor.randn(gen, batch, in);
        assertClose(linearByHand(x, fc), fc.forward(x).toDoubleArray(), 1e-5);
    }

    @Test
    void linearGradientsAccumulateIntoParameters() {
        var fc = new Linear(3, 2, true, new Generator(2));
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        fc.forward(x).sum().backward();
        assertArrayEquals(new double[] {5, 7, 9, 5, 7, 9}, fc.weight().grad().toDoubleArray());
        assertArrayEquals(new double[] {2, 2}, fc.bias().grad().toDoubleArray());
        fc.forward(x).sum().backward();
        assertArrayEquals(new double[] {10, 14, 18, 10, 14, 18}, fc.weight().grad().toDoubleArray());
        assertArrayEquals(new double[] {4, 4}, fc.bias().grad().toDoubleArray());
    }

    @Test
    void frozenLinearRecordsNoGraph() {
        var fc = new Linear(3, 2, true, new Generator(3));
        fc.freeze();
        Tensor y = fc.forward(Tensor.ones(4, 3));
        assertFalse(y.requiresGrad());
        assertTrue(y.isLeaf());

        Tensor x = Tensor.ones(4, 3).requiresGrad(true);
        fc.forward(x).sum().backward();
        assertNotNull(x.grad());
        assertNull(fc.weight().grad());
        assertNull(fc.bias().grad());
    }

    @Test
    void backwardStopsAtTheFrozenPartOfANetwork() {
        var gen = new Generator(4);
        var body = new Linear(5, 4, true, gen);
        var head = new Linear(4, 2, true, gen);
        var net = new Sequential(body, new ReLU(), head);
        Tensor x = Tensor.randn(gen, 3, 5);
        List<String> full;
        try (var trace = BackwardTrace.start()) {
            net.forward(x).sum().backward();
            full = trace.nodes();
        }
        assertTrue(full.contains("relu"), full.toString());

        net.zeroGrad();
        body.freeze();
        try (var trace = BackwardTrace.start()) {
            net.forward(x).sum().backward();
            assertFalse(trace.nodes().contains("relu"), trace.nodes().toString());
            assertTrue(trace.nodes().size() < full.size());
        }
        assertNull(body.weight().grad());
        assertNotNull(head.weight().grad());
    }

    @Test
    void sequentialChainsItsLayers() {
        var gen = new Generator(5);
        var a = new Linear(3, 4, true, gen);
        var b = new Linear(4, 2, false, gen);
        Tensor x = Tensor.randn(gen, 2, 3);
        Tensor expected = b.forward(a.forward(x).relu());
        Tensor actual = new Sequential(a, new ReLU(), b, new Identity()).forward(x);
        assertArrayEquals(expected.toDoubleArray(), actual.toDoubleArray());
    }

    @Test
    void dropoutIsSeededAndIdentityInEval() {
        Tensor x = Tensor.ones(100, 100);
        var a = new Dropout(0.3, new Generator(6));
        var b = new Dropout(0.3, new Generator(6));
        double[] ya = a.forward(x).toDoubleArray();
        assertArrayEquals(ya, b.forward(x).toDoubleArray());
        long zeros = Arrays.stream(ya).filter(v -> v == 0).count();
        assertEquals(3000, zeros, 200);
        assertTrue(Arrays.stream(ya).allMatch(v -> v == 0 || Math.abs(v - 1 / 0.7) < 1e-6));
        assertFalse(Arrays.equals(ya, a.forward(x).toDoubleArray()), "the generator advances between calls");
        a.eval();
        assertSame(x, a.forward(x));
        var e = assertThrows(IllegalArgumentException.class, () -> new Dropout(1.5, new Generator(1)));
        assertEquals("Dropout: probability must be in [0, 1], got 1.5", e.getMessage());
    }

    @Test
    void reluFlattenIdentity() {
        Tensor x = Tensor.of(new float[] {-1, 2, -3, 4, 0, 6}, 1, 2, 3);
        assertArrayEquals(new double[] {0, 2, 0, 4, 0, 6}, new ReLU().forward(x).toDoubleArray());
        assertArrayEquals(new int[] {1, 6}, new Flatten().forward(x).shape());
        assertArrayEquals(new int[] {6}, new Flatten(0).forward(x).shape());
        assertSame(x, new Identity().forward(x));
    }

    private static BatchNorm2d batchNormWithStats() {
        var bn = new BatchNorm2d(2);
        bn.weight().tensor().copyFrom(Tensor.of(new float[] {2, 0.5f}, 2));
        bn.bias().tensor().copyFrom(Tensor.of(new float[] {1, -1}, 2));
        bn.runningMean().copyFrom(Tensor.of(new float[] {0.5f, -2}, 2));
        bn.runningVar().copyFrom(Tensor.of(new float[] {4, 0.25f}, 2));
        return bn;
    }

    /** (x - running_mean) / sqrt(running_var + eps) · weight + bias, per channel of a [N, 2, H, W] input. */
    private static double[] normalisedByHand(Tensor x, BatchNorm2d bn) {
        double[] v = x.toDoubleArray();
        double[] w = bn.weight().tensor().toDoubleArray();
        double[] b = bn.bias().tensor().toDoubleArray();
        double[] m = bn.runningMean().toDoubleArray();
        double[] var = bn.runningVar().toDoubleArray();
        int plane = x.size(2) * x.size(3);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            int c = (i / plane) % 2;
            out[i] = (v[i] - m[c]) / Math.sqrt(var[c] + 1e-5) * w[c] + b[c];
        }
        return out;
    }

    @Test
    void batchNormEvalUsesRunningStatistics() {
        var bn = batchNormWithStats();
        bn.eval();
        Tensor x = Tensor.randn(new Generator(7), 3, 2, 2, 2);
        assertClose(normalisedByHand(x, bn), bn.forward(x).toDoubleArray(), 1e-5);
        assertEquals(0, bn.numBatchesTracked().item());
    }

    @Test
    void frozenBatchNormInTrainModeUsesAndKeepsRunningStatistics() {
        var bn = batchNormWithStats();
        bn.freeze();
        assertTrue(bn.isTraining());
        Tensor x = Tensor.randn(new Generator(8), 3, 2, 2, 2);
        Tensor y = bn.forward(x);
        assertClose(normalisedByHand(x, bn), y.toDoubleArray(), 1e-5);
        assertFalse(y.requiresGrad(), "frozen parameters and a constant input record nothing");
        assertArrayEquals(new double[] {0.5, -2}, bn.runningMean().toDoubleArray());
        assertArrayEquals(new double[] {4, 0.25}, bn.runningVar().toDoubleArray());
        assertEquals(0, bn.numBatchesTracked().item());
    }

    /**
     * A layer with one of its two parameters frozen is still being trained: batch statistics normalise, the
     * running ones move (momentum 0.1, unbiased variance), the batch is counted, and only the trainable
     * parameter gets a gradient. Checked against the same formulas written out in doubles.
     */
    private static void assertTrainsWithBatchStatistics(BatchNorm2d bn, Parameter trainable, Parameter frozen) {
        assertTrue(bn.isTraining() && trainable.isTrainable() && !frozen.isTrainable());
        int n = 3;
        int plane = 4;
        Tensor x = Tensor.randn(new Generator(12), n, 2, 2, 2).mul(2).add(1);
        Tensor r = Tensor.randn(new Generator(13), n, 2, 2, 2);
        double[] oldMean = bn.runningMean().toDoubleArray();
        double[] oldVar = bn.runningVar().toDoubleArray();
        Tensor y = bn.forward(x);
        y.mul(r).sum().backward();

        double[] v = x.toDoubleArray();
        double[] rv = r.toDoubleArray();
        double[] w = bn.weight().tensor().toDoubleArray();
        double[] b = bn.bias().tensor().toDoubleArray();
        double[] expected = new double[v.length];
        double[] gradW = new double[2];
        double[] gradB = new double[2];
        for (int c = 0; c < 2; c++) {
            double sum = 0;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < plane; j++) {
                    sum += v[(i * 2 + c) * plane + j];
                }
            }
            double mean = sum / (n * plane);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < plane; j++) {
                    double d = v[(i * 2 + c) * plane + j] - mean;
                    sq += d * d;
                }
            }
            double var = sq / (n * plane);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < plane; j++) {
                    int at = (i * 2 + c) * plane + j;
                    double normalised = (v[at] - mean) / Math.sqrt(var + 1e-5);
                    expected[at] = normalised * w[c] + b[c];
                    gradW[c] += rv[at] * normalised;
                    gradB[c] += rv[at];
                }
            }
            assertEquals(0.9 * oldMean[c] + 0.1 * mean, bn.runningMean().toDoubleArray()[c], 1e-5, "running mean");
            assertEquals(0.9 * oldVar[c] + 0.1 * sq / (n * plane - 1), bn.runningVar().toDoubleArray()[c], 1e-5,
                    "running var");
        }
        assertClose(expected, y.toDoubleArray(), 1e-4);
        assertEquals(1, bn.numBatchesTracked().item());
        assertNull(frozen.grad(), "a frozen parameter gets no gradient");
        assertClose(trainable == bn.weight() ? gradW : gradB, trainable.grad().toDoubleArray(), 1e-4);
    }

    @Test
    void batchNormWithOnlyItsWeightFrozenStillTrains() {
        var bn = batchNormWithStats();
        bn.weight().setTrainable(false);
        assertTrainsWithBatchStatistics(bn, bn.bias(), bn.weight());
    }

    @Test
    void batchNormWithOnlyItsBiasFrozenStillTrains() {
        var bn = batchNormWithStats();
        bn.bias().setTrainable(false);
        assertTrainsWithBatchStatistics(bn, bn.weight(), bn.bias());
    }

    @Test
    void batchNormRejectsWrongInputBeforeCountingTheBatch() {
        var bn = new BatchNorm2d(4);
        var e = assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(2, 3, 4, 4)));
        assertEquals("BatchNorm2d: expected input [N, 4, H, W], got [2, 3, 4, 4]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(2, 4, 4)));
        e = assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(DType.F64, 2, 4, 3, 3)));
        assertTrue(e.getMessage().startsWith("batch_norm: dtype mismatch"), e.getMessage());
        assertEquals(0, bn.numBatchesTracked().item());
        e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(4, 1e-5, 1.5, true, true));
        assertTrue(e.getMessage().startsWith("BatchNorm2d:") && e.getMessage().contains("1.5"), e.getMessage());
    }

    @Test
    void batchNormWithoutAffineOrTrackingRegistersNothing() {
        var bn = new BatchNorm2d(3, 1e-3, null, false, false);
        assertTrue(bn.stateDict().isEmpty());
        assertNull(bn.weight());
        assertNull(bn.runningMean());
        assertEquals("BatchNorm2d(3, eps=0.001, momentum=null, affine=false, track_running_stats=false)", bn.toString());
    }

    @Test
    void conv2dStructureAndValidation() {
        var conv = new Conv2d(4, 8, 3, 2, 1, 2, 2, false, new Generator(9));
        assertArrayEquals(new int[] {8, 2, 3, 3}, conv.weight().tensor().shape());
        assertNull(conv.bias());
        assertEquals(List.of("weight"), List.copyOf(conv.stateDict().keySet()));
        assertArrayEquals(new int[] {3, 3}, conv.kernelSize());
        assertArrayEquals(new int[] {2, 2}, conv.stride());
        assertArrayEquals(new int[] {1, 1}, conv.padding());
        assertArrayEquals(new int[] {2, 2}, conv.dilation());
        assertEquals(2, conv.groups());
        assertEquals(4, conv.inChannels());
        assertEquals(8, conv.outChannels());
        assertEquals("Conv2d(4, 8, kernel_size=[3, 3], stride=[2, 2], padding=[1, 1], dilation=[2, 2], groups=2,"
                + " bias=false)", conv.toString());

        var e = assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 8, 3, 1, 1, 1, 2, true, new Generator(1)));
        assertEquals("Conv2d: in_channels 3 not divisible by groups 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Conv2d(4, 6, 3, 1, 1, 1, 4, true, new Generator(1)));
        assertEquals("Conv2d: out_channels 6 not divisible by groups 4", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Conv2d(4, 6, 3, 0, 1, true, new Generator(1)));
        assertTrue(e.getMessage().contains("stride=0"), e.getMessage());
    }

    /** These inputs fail conv2d's geometry checks, which run before any kernel, and show what forward passed. */
    @Test
    void conv2dForwardPassesItsHyperParameters() {
        var grouped = new Conv2d(4, 8, 3, 1, 1, 1, 2, false, new Generator(10));
        var e = assertThrows(IllegalArgumentException.class, () -> grouped.forward(Tensor.zeros(1, 6, 5, 5)));
        assertTrue(e.getMessage().contains("groups=2 expects 4"), e.getMessage());

        var dilated = new Conv2d(4, 8, 3, 1, 0, 3, 1, true, new Generator(10));
        e = assertThrows(IllegalArgumentException.class, () -> dilated.forward(Tensor.zeros(1, 4, 6, 6)));
        assertTrue(e.getMessage().contains("padding [0, 0]") && e.getMessage().contains("dilation [3, 3]"),
                e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> dilated.forward(Tensor.zeros(DType.F64, 1, 4, 9, 9)));
        assertTrue(e.getMessage().startsWith("conv2d: dtype mismatch"), e.getMessage());
    }

    @Test
    void poolingLayersPassTheirWindows() {
        var max = new MaxPool2d(3, 2, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> new MaxPool2d(3, 1, 0).forward(Tensor.zeros(1, 1, 2, 2)));
        assertEquals("max_pool2d: input [1, 1, 2, 2] is smaller than the kernel [3, 3] with padding [0, 0]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new AvgPool2d(4, 1, 1, false).forward(Tensor.zeros(1, 1, 1, 1)));
        assertEquals("avg_pool2d: input [1, 1, 1, 1] is smaller than the kernel [4, 4] with padding [1, 1]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AdaptiveAvgPool2d(1).forward(Tensor.zeros(1, 2, 3)));
        assertTrue(e.getMessage().startsWith("adaptive_avg_pool2d: input must be 4-D"), e.getMessage());

        assertEquals("MaxPool2d(kernel_size=3, stride=2, padding=1)", max.toString());
        assertEquals("AvgPool2d(kernel_size=2, stride=2, padding=0, count_include_pad=true)", new AvgPool2d(2).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=[1, 1])", new AdaptiveAvgPool2d(1).toString());
        assertTrue(max.parameters().isEmpty() && max.stateDict().isEmpty());
        e = assertThrows(IllegalArgumentException.class, () -> new MaxPool2d(3, 2, 2));
        assertTrue(e.getMessage().startsWith("MaxPool2d:") && e.getMessage().contains("padding=2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveAvgPool2d(0, 1));
    }

    @Test
    void linearValidation() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Linear(0, 3, true, new Generator(1)));
        assertEquals("Linear: in_features and out_features must be >= 1, got 0 and 3", e.getMessage());
        var fc = new Linear(3, 2, true, new Generator(1));
        assertThrows(IllegalArgumentException.class, () -> fc.forward(Tensor.zeros(2, 4)));
        assertEquals("Linear(in_features=3, out_features=2, bias=true)", fc.toString());
    }
}
