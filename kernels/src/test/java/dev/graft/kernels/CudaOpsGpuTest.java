package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.Backend;
import dev.graft.engine.BackendUnavailableException;
import dev.graft.engine.Backends;
import dev.graft.engine.BinaryOp;
import dev.graft.engine.DType;
import dev.graft.engine.PoolGeometry;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import dev.graft.engine.UnaryOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The kernel-backed op groups of the CUDA backend against the CPU backend on random shapes, odd sizes and
 * strided, broadcast and permuted views: F32 within a relative 1e-4, F64 within 1e-10, exact where the result
 * is exact (indices, copies, integer-valued sums), bitwise for the optimizers. Skipped, with the reason
 * printed, where no CUDA device opens.
 */
@Tag("gpu")
class CudaOpsGpuTest {
    private static final double F32 = 1e-4;
    private static final double F64 = 1e-10;

    private static Backend gpu;
    private static Backend cpu;
    private static CudaDevice device;

    @BeforeAll
    static void open() {
        try {
            gpu = Backends.get("cuda");
        } catch (BackendUnavailableException e) {
            System.out.println("CudaOpsGpuTest skipped: " + e.getMessage());
        }
        Assumptions.assumeTrue(gpu != null, "no usable CUDA device");
        cpu = Backends.cpu();
        device = ((CudaBackend) gpu).device();
        System.out.println("CudaOpsGpuTest on " + device.describe());
    }

    // ---------------------------------------------------------------- helpers

    private static Tensor random(Random rnd, DType dtype, int... shape) {
        double[] v = new double[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextGaussian();
        }
        return cast(Tensor.of(v, shape), dtype);
    }

    /** Integer values in [-8, 8]: sums of them are exact in any order. */
    private static Tensor integers(Random rnd, DType dtype, int... shape) {
        double[] v = new double[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextInt(17) - 8;
        }
        return cast(Tensor.of(v, shape), dtype);
    }

    private static Tensor cast(Tensor t, DType dtype) {
        Tensor out = Tensor.zeros(cpu, dtype, t.shape());
        cpu.copy(t, out);
        return out;
    }

    private static double tolerance(Tensor t) {
        return t.dtype() == DType.F64 ? F64 : F32;
    }

    /** Elementwise |a - e| <= rel·max(|e|, 1), NaN only where NaN is expected; shapes must agree. */
    static void assertClose(Tensor expected, Tensor actual, double rel, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        for (int i = 0; i < e.length; i++) {
            boolean ok = Double.isNaN(e[i]) ? Double.isNaN(a[i])
                    : e[i] == a[i] || Math.abs(a[i] - e[i]) <= rel * Math.max(Math.abs(e[i]), 1);
            if (!ok) {
                throw new AssertionError(what + ": element " + i + " of " + Shape.format(expected.shape())
                        + " is " + a[i] + ", expected " + e[i] + " (relative " + rel + ")");
            }
        }
    }

    /** The same view of a CPU tensor and of its copy on the GPU. */
    private record Pair(Tensor onCpu, Tensor onGpu) {
        static Pair of(Tensor base, UnaryOperator<Tensor> view) {
            return new Pair(view.apply(base), view.apply(base.to(gpu)));
        }
    }

    /** Views every op must take: as laid out, transposed, every other column, and a stride-0 broadcast row. */
    private static List<Pair> views(Random rnd, DType dtype, int rows, int cols) {
        List<Pair> out = new ArrayList<>();
        out.add(Pair.of(random(rnd, dtype, rows, cols), t -> t));
        out.add(Pair.of(random(rnd, dtype, cols, rows), Tensor::t));
        out.add(Pair.of(random(rnd, dtype, rows, 2 * cols + 1), t -> t.slice(1, 1, 2 * cols + 1, 2)));
        out.add(Pair.of(random(rnd, dtype, 1, cols), t -> t.expand(rows, cols)));
        return out;
    }

    @Test
    void theCheckerCatchesAWrongElement() {
        Tensor e = Tensor.of(new float[] {1, 2, 3}, 3);
        assertThrows(AssertionError.class, () -> assertClose(e, Tensor.of(new float[] {1, 2.001f, 3}, 3), F32, "x"));
        assertThrows(AssertionError.class, () -> assertClose(e, Tensor.of(new float[] {1, Float.NaN, 3}, 3), F32, "x"));
        assertClose(e, Tensor.of(new float[] {1, 2.00001f, 3}, 3), F32, "within tolerance");
    }

    // ---------------------------------------------------------------- elementwise

    @Test
    void unaryOpsOnEveryKindOfView() {
        Random rnd = new Random(1);
        double[][] params = {{0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {2.5, 0}, {-0.5, 0.5},
            {1.5, -0.25}, {0.1, 0}, {-0.3, 0.4}};
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (Pair p : views(rnd, dtype, 37, 65)) {
                for (UnaryOp op : UnaryOp.values()) {
                    double a = params[op.ordinal()][0];
                    double b = params[op.ordinal()][1];
                    Tensor c = p.onCpu();
                    Tensor g = p.onGpu();
                    if (op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.POW) {
                        c = cpu.unary(UnaryOp.ABS, c, 0, 0);
                        g = gpu.unary(UnaryOp.ABS, g, 0, 0);
                    }
                    assertClose(cpu.unary(op, c, a, b), gpu.unary(op, g, a, b), tolerance(c), op + " " + dtype);
                }
            }
        }
    }

    @Test
    void binaryOpsAndWhereBroadcast() {
        Random rnd = new Random(2);
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            List<Pair> vs = views(rnd, dtype, 29, 130);
            for (Pair a : vs) {
                for (Pair b : vs) {
                    for (BinaryOp op : BinaryOp.values()) {
                        assertClose(cpu.binary(op, a.onCpu(), b.onCpu()), gpu.binary(op, a.onGpu(), b.onGpu()),
                                tolerance(a.onCpu()), op + " " + dtype);
                    }
                    Tensor condCpu = cpu.binary(BinaryOp.GREATER, a.onCpu(), b.onCpu());
                    Tensor condGpu = gpu.binary(BinaryOp.GREATER, a.onGpu(), b.onGpu());
                    assertClose(cpu.where(condCpu, a.onCpu(), b.onCpu()), gpu.where(condGpu, a.onGpu(), b.onGpu()), 0,
                            "where " + dtype);
                }
            }
            // A condition of another dtype is converted first.
            Tensor cond = Tensor.ofLongs(new long[] {0, 3, -1, 0}, 4);
            Tensor x = random(rnd, dtype, 4);
            Tensor y = random(rnd, dtype, 4);
            assertClose(cpu.where(cond, x, y), gpu.where(cond.to(gpu), x.to(gpu), y.to(gpu)), 0, "where I64");
        }
    }

    @Test
    void oneHotAlongAnyDimensionAndItsRangeError() {
        Random rnd = new Random(3);
        long[] idx = new long[4 * 5];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = rnd.nextInt(7);
        }
        Tensor indices = Tensor.ofLongs(idx, 4, 1, 5);
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            assertClose(cpu.oneHot(indices, 1, 7, dtype), gpu.oneHot(indices.to(gpu), 1, 7, dtype), 0, "one_hot");
        }
        Tensor column = Tensor.ofLongs(new long[] {2, 0, 1}, 3, 1);
        Tensor permuted = column.to(gpu).t();
        assertClose(cpu.oneHot(column.t(), 0, 4, DType.F32), gpu.oneHot(permuted, 0, 4, DType.F32), 0,
                "one_hot of a view");

        Tensor bad = gpu.oneHot(Tensor.ofLongs(new long[] {1, 9}, 2, 1).to(gpu), 1, 4, DType.F32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, gpu::synchronize);
        assertTrue(e.getMessage().contains("one-hot"), e.getMessage());
        assertEquals(2, bad.numel());
        gpu.synchronize(); // the flag was cleared: the device goes on
    }

    @Test
    void copyConvertsBetweenEveryPairOfDtypesAcrossStridedViews() {
        Random rnd = new Random(4);
        Tensor values = Tensor.of(new double[] {-2.7, -1.5, -0.2, 0, 0.9, 1.5, 3.99, 1e6, -7e5, 42, 17.25, -3}, 3, 4);
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                Tensor src = cast(values, from);
                Tensor expected = Tensor.zeros(cpu, to, 4, 3);
                cpu.copy(src.t(), expected);
                // Into every other column of a wider destination, read back through the same view.
                Tensor dst = Tensor.zeros(gpu, to, 4, 7);
                Tensor into = dst.slice(1, 0, 6, 2);
                gpu.copy(src.to(gpu).t(), into);
                assertClose(expected, into, 0, "copy " + from + " -> " + to);
                assertClose(Tensor.zeros(cpu, to, 4), dst.select(1, 1), 0, "untouched column");
            }
        }
        for (DType dtype : DType.values()) {
            Tensor t = Tensor.zeros(gpu, dtype, 5, 6);
            gpu.fill(t.slice(0, 1, 5, 3).t(), 2.5);
            Tensor expected = Tensor.zeros(cpu, dtype, 5, 6);
            cpu.fill(expected.slice(0, 1, 5, 3).t(), 2.5);
            assertClose(expected, t, 0, "fill " + dtype);
        }
        Tensor big = random(rnd, DType.F32, 300, 301);
        assertClose(big.t().contiguous(), big.to(gpu).t().contiguous(), 0, "large transpose");
    }

    @Test
    void convEpilogueScalesShiftsAddsAndClamps() {
        Random rnd = new Random(5);
        CudaElementwise elementwise = new CudaElementwise(device);
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (boolean relu : new boolean[] {false, true}) {
                Tensor y = random(rnd, dtype, 3, 5, 7, 9);
                Tensor scale = random(rnd, dtype, 5);
                Tensor shift = random(rnd, dtype, 5);
                Tensor residual = random(rnd, dtype, 3, 5, 7, 9);
                double[] yv = y.toDoubleArray();
                double[] s = scale.toDoubleArray();
                double[] b = shift.toDoubleArray();
                double[] r = residual.toDoubleArray();
                double[] expected = new double[yv.length];
                for (int i = 0; i < yv.length; i++) {
                    int c = i / 63 % 5;
                    double v = dtype == DType.F32 ? Math.fma((float) yv[i], (float) s[c], (float) b[c]) + (float) r[i]
                            : Math.fma(yv[i], s[c], b[c]) + r[i];
                    expected[i] = relu && !(v > 0) ? 0 : v;
                }
                Tensor onGpu = y.to(gpu);
                elementwise.convEpilogue(onGpu, scale.to(gpu), shift.to(gpu), residual.to(gpu), relu);
                assertClose(cast(Tensor.of(expected, y.shape()), dtype), onGpu, tolerance(y), "epilogue " + relu);
                Tensor plain = y.to(gpu);
                elementwise.convEpilogue(plain, null, null, null, relu);
                assertClose(relu ? cpu.unary(UnaryOp.RELU, y, 0, 0) : y, plain, 0, "epilogue without terms");
            }
        }
    }

    // ---------------------------------------------------------------- reductions

    @Test
    void sumsOverRandomMasksAreExactOnIntegers() {
        Random rnd = new Random(6);
        for (int trial = 0; trial < 60; trial++) {
            int rank = 1 + rnd.nextInt(4);
            int[] shape = new int[rank];
            boolean[] reduce = new boolean[rank];
            for (int d = 0; d < rank; d++) {
                shape[d] = rnd.nextInt(4) == 0 ? 1 : 1 + rnd.nextInt(13);
                reduce[d] = rnd.nextBoolean();
            }
            if (rank <= 3 && rnd.nextBoolean()) {
                shape[rnd.nextInt(rank)] = 1 + rnd.nextInt(20_000); // long enough to split into parts
            }
            DType dtype = rnd.nextBoolean() ? DType.F32 : DType.F64;
            Tensor x = integers(rnd, dtype, shape);
            Tensor gx = x.to(gpu);
            if (rank >= 2 && rnd.nextBoolean()) {
                x = x.transpose(0, rank - 1);
                gx = gx.transpose(0, rank - 1);
            }
            String what = "sum " + dtype + " " + Shape.format(x.shape()) + " " + Arrays.toString(reduce);
            assertClose(cpu.sum(x, reduce), gpu.sum(gx, reduce), 0, what);
        }
    }

    @Test
    void longSumsSplitIntoPartsStayAccurate() {
        Random rnd = new Random(7);
        int[][] shapes = {{3, 70_001}, {40_001, 33}, {300_007}, {2, 64, 4097}};
        boolean[][] masks = {{false, true}, {true, false}, {true}, {true, false, true}};
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (int i = 0; i < shapes.length; i++) {
                Tensor x = random(rnd, dtype, shapes[i]);
                Tensor scale = cpu.sum(cpu.unary(UnaryOp.ABS, x, 0, 0), masks[i]);
                Tensor expected = cpu.sum(x, masks[i]);
                double[] e = expected.toDoubleArray();
                double[] a = gpu.sum(x.to(gpu), masks[i]).toDoubleArray();
                double[] s = scale.toDoubleArray();
                for (int k = 0; k < e.length; k++) {
                    // Relative to the sum of magnitudes: the sums cancel, the error does not.
                    assertTrue(Math.abs(a[k] - e[k]) <= tolerance(x) * 0.1 * s[k],
                            dtype + " " + Shape.format(shapes[i]) + " output " + k + ": " + a[k] + " vs " + e[k]);
                }
            }
        }
    }

    @Test
    void maxValuesAndFirstIndicesAlongEveryDimension() {
        Random rnd = new Random(8);
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (int trial = 0; trial < 20; trial++) {
                int[] shape = {1 + rnd.nextInt(7), 1 + rnd.nextInt(70), 1 + rnd.nextInt(5)};
                Tensor x = integers(rnd, dtype, shape); // ties everywhere: the first one must win
                Tensor gx = x.to(gpu);
                if (trial % 2 == 1) {
                    x = x.transpose(0, 1);
                    gx = gx.transpose(0, 1);
                }
                for (int dim = 0; dim < 3; dim++) {
                    Tensor[] e = cpu.max(x, dim);
                    Tensor[] a = gpu.max(gx, dim);
                    assertClose(e[0], a[0], 0, "max values " + Shape.format(x.shape()) + " dim " + dim);
                    assertArrayEquals(e[1].toLongArray(), a[1].toLongArray(), "max indices dim " + dim);
                }
            }
            Tensor withNan = Tensor.of(new double[] {1, Double.NaN, 5, 7, 7, 2}, 2, 3);
            Tensor[] e = cpu.max(cast(withNan, dtype), 1);
            Tensor[] a = gpu.max(cast(withNan, dtype).to(gpu), 1);
            assertClose(e[0], a[0], 0, "NaN wins");
            assertArrayEquals(e[1].toLongArray(), a[1].toLongArray());
            // Rows longer than a warp (as argmax over 1000 classes): each lane scans several elements, then the
            // lanes combine; ties and NaNs must still resolve to the first occurrence.
            double[] wide = integers(rnd, DType.F64, 6, 1000).toDoubleArray();
            wide[5 * 1000 + 70] = Double.NaN;
            wide[5 * 1000 + 40] = Double.NaN;
            Tensor rows = cast(Tensor.of(wide, 6, 1000), dtype);
            e = cpu.max(rows, 1);
            a = gpu.max(rows.to(gpu), 1);
            assertClose(e[0], a[0], 0, "max values of long rows");
            assertArrayEquals(e[1].toLongArray(), a[1].toLongArray(), "max indices of long rows");
            assertEquals(40, a[1].toLongArray()[5], "the first NaN of a long row");
        }
    }

    // ---------------------------------------------------------------- cross-entropy

    @Test
    void crossEntropyForwardAndBackwardWithWeightsAndSmoothing() {
        Random rnd = new Random(9);
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (int c : new int[] {5, 64, 100, 1000}) {
                int n = 37;
                Tensor logits = random(rnd, dtype, n, c);
                long[] t = new long[n];
                for (int i = 0; i < n; i++) {
                    t[i] = rnd.nextInt(c);
                }
                Tensor target = Tensor.ofLongs(t, n);
                Tensor weight = cpu.unary(UnaryOp.AFFINE, cpu.unary(UnaryOp.ABS, random(rnd, dtype, c), 0, 0), 1, 0.1);
                for (Tensor w : new Tensor[] {null, weight}) {
                    for (double smoothing : new double[] {0, 0.1}) {
                        String what = "cross_entropy " + dtype + " C=" + c + " weighted=" + (w != null)
                                + " smoothing=" + smoothing;
                        Tensor gw = w == null ? null : w.to(gpu);
                        Tensor[] e = cpu.softmaxCrossEntropy(logits, target, w, smoothing);
                        Tensor[] a = gpu.softmaxCrossEntropy(logits.to(gpu), target.to(gpu), gw, smoothing);
                        for (int k = 0; k < 3; k++) {
                            assertClose(e[k], a[k], tolerance(logits), what + " output " + k);
                        }
                        Tensor grad = random(rnd, dtype, n);
                        assertClose(cpu.softmaxCrossEntropyBackward(grad, e[1], target, w, smoothing),
                                gpu.softmaxCrossEntropyBackward(grad.to(gpu), a[1], target.to(gpu), gw, smoothing),
                                tolerance(logits), what + " backward");
                        Tensor mean = cast(Tensor.of(new double[] {1.0 / n}, 1), dtype);
                        assertClose(cpu.softmaxCrossEntropyBackward(mean.expand(n), e[1], target, w, smoothing),
                                gpu.softmaxCrossEntropyBackward(mean.to(gpu).expand(n), a[1], target.to(gpu), gw,
                                        smoothing), tolerance(logits), what + " backward of a broadcast gradient");
                    }
                }
            }
        }
    }

    @Test
    void aTargetOutOfRangeIsReportedAtTheNextSynchronisation() {
        Tensor logits = Tensor.zeros(gpu, DType.F32, 2, 3);
        Tensor[] r = gpu.softmaxCrossEntropy(logits, Tensor.ofLongs(new long[] {0, 3}, 2).to(gpu), null, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r[0].toFloatArray());
        assertTrue(e.getMessage().contains("cross-entropy"), e.getMessage());
        assertEquals(0, gpu.sum(logits, new boolean[] {true, true}).item());
    }

    // ---------------------------------------------------------------- indexing

    @Test
    void gatheredRowsAndTheOptionAShortcutMatchTheCpu() {
        Random rnd = new Random(12);
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            Tensor table = random(rnd, dtype, 37, 65);
            Tensor rows = Tensor.ofLongs(new long[] {36, 0, 5, 5, 17}, 5);
            assertClose(cpu.gatherRows(table, rows), gpu.gatherRows(table.to(gpu), rows.to(gpu)), 0, "gather " + dtype);
            for (int[] in : new int[][] {{2, 16, 32, 32}, {3, 5, 7, 9}, {1, 1, 1, 1}}) {
                Tensor x = random(rnd, dtype, in);
                Tensor e = cpu.subsamplePadChannels(x, 4);
                assertClose(e, gpu.subsamplePadChannels(x.to(gpu), 4), 0, "shortcut " + Shape.format(in));
                Tensor g = random(rnd, dtype, e.shape());
                assertClose(cpu.subsamplePadChannelsBackward(g, in, 4),
                        gpu.subsamplePadChannelsBackward(g.to(gpu), in, 4), 0, "shortcut backward " + Shape.format(in));
            }
        }
        Tensor bad = gpu.gatherRows(Tensor.zeros(gpu, DType.F32, 3, 2), Tensor.ofLongs(new long[] {3}, 1).to(gpu));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::toFloatArray);
        assertTrue(e.getMessage().contains("row index out of range"), e.getMessage());
    }

    // ---------------------------------------------------------------- pooling

    @Test
    void poolingForwardAndBackward() {
        Random rnd = new Random(10);
        int[][] geometry = {{3, 3, 2, 2, 1, 1}, {2, 2, 2, 2, 0, 0}, {3, 2, 1, 2, 1, 1}, {5, 5, 3, 3, 2, 2}};
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (int[] k : geometry) {
                int[] in = {2, 3, 11 + rnd.nextInt(6), 9 + rnd.nextInt(6)};
                PoolGeometry g = PoolGeometry.of("pool", in, new int[] {k[0], k[1]}, new int[] {k[2], k[3]},
                        new int[] {k[4], k[5]});
                String what = dtype + " " + Arrays.toString(k) + " on " + Shape.format(in);
                Tensor x = integers(rnd, dtype, in); // ties: the first maximum must win on both
                Tensor gx = x.to(gpu);
                Tensor[] e = cpu.maxPool2d(x, g);
                Tensor[] a = gpu.maxPool2d(gx, g);
                assertClose(e[0], a[0], 0, "max_pool2d " + what);
                assertArrayEquals(e[1].toLongArray(), a[1].toLongArray(), "max_pool2d indices " + what);
                Tensor grad = random(rnd, dtype, g.outputShape());
                assertClose(cpu.maxPool2dBackward(grad, e[1], g), gpu.maxPool2dBackward(grad.to(gpu), a[1], g),
                        tolerance(x), "max_pool2d backward " + what);
                for (boolean countPad : new boolean[] {false, true}) {
                    Tensor xr = random(rnd, dtype, in);
                    assertClose(cpu.avgPool2d(xr, g, countPad), gpu.avgPool2d(xr.to(gpu), g, countPad),
                            tolerance(x), "avg_pool2d " + countPad + " " + what);
                    assertClose(cpu.avgPool2dBackward(grad, g, countPad),
                            gpu.avgPool2dBackward(grad.to(gpu), g, countPad), tolerance(x),
                            "avg_pool2d backward " + countPad + " " + what);
                }
            }
            for (int[] out : new int[][] {{1, 1}, {3, 4}, {7, 7}, {20, 13}}) {
                int[] in = {2, 3, 13, 10};
                Tensor x = random(rnd, dtype, in);
                assertClose(cpu.adaptiveAvgPool2d(x, out[0], out[1]), gpu.adaptiveAvgPool2d(x.to(gpu), out[0], out[1]),
                        tolerance(x), "adaptive_avg_pool2d to " + Arrays.toString(out));
                Tensor grad = random(rnd, dtype, 2, 3, out[0], out[1]);
                assertClose(cpu.adaptiveAvgPool2dBackward(grad, in), gpu.adaptiveAvgPool2dBackward(grad.to(gpu), in),
                        tolerance(x), "adaptive_avg_pool2d backward to " + Arrays.toString(out));
            }
        }
    }

    // ---------------------------------------------------------------- optimizers

    private static List<Tensor> params(Random rnd, DType dtype, int... sizes) {
        List<Tensor> out = new ArrayList<>();
        for (int size : sizes) {
            out.add(random(rnd, dtype, size));
        }
        return out;
    }

    private static List<Tensor> onGpu(List<Tensor> ts) {
        return ts.stream().map(t -> t.to(gpu)).toList();
    }

    private static List<Tensor> zeros(Backend backend, List<Tensor> like) {
        return like.stream().map(t -> Tensor.zeros(backend, t.dtype(), t.shape())).toList();
    }

    private static void assertSame(List<Tensor> expected, List<Tensor> actual, String what) {
        for (int i = 0; i < expected.size(); i++) {
            if (expected.get(i).dtype() == DType.F32) {
                assertArrayEquals(expected.get(i).toFloatArray(), actual.get(i).toFloatArray(), what + " tensor " + i);
            } else {
                assertClose(expected.get(i), actual.get(i), F64, what + " tensor " + i);
            }
        }
    }

    @Test
    void sgdMatchesTheCpuOverThreeSteps() {
        Random rnd = new Random(11);
        int[] sizes = {3, 40_000, 1, 16_385};
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (boolean nesterov : new boolean[] {false, true}) {
                List<Tensor> cp = params(rnd, dtype, sizes);
                List<Tensor> gp = onGpu(cp);
                List<Tensor> cb = zeros(cpu, cp);
                List<Tensor> gb = zeros(gpu, cp);
                for (int step = 1; step <= 3; step++) {
                    List<Tensor> grads = params(rnd, dtype, sizes);
                    // Parameter 2 joins late: its first step is the others' second.
                    boolean[] first = {step == 1, step == 1, step == 2, step == 1};
                    double dampening = nesterov ? 0 : 0.1;
                    cpu.sgdStep(cp, grads, cb, first, 0.05, 1e-3, 0.9, dampening, nesterov);
                    gpu.sgdStep(gp, onGpu(grads), gb, first, 0.05, 1e-3, 0.9, dampening, nesterov);
                    assertSame(cp, gp, "sgd " + dtype + " nesterov=" + nesterov + " step " + step);
                    assertSame(cb, gb, "sgd momentum " + dtype + " step " + step);
                }
            }
            List<Tensor> cp = params(rnd, dtype, sizes);
            List<Tensor> gp = onGpu(cp);
            List<Tensor> none = Arrays.asList(new Tensor[sizes.length]);
            List<Tensor> grads = params(rnd, dtype, sizes);
            cpu.sgdStep(cp, grads, none, new boolean[sizes.length], 0.1, 0, 0, 0, false);
            gpu.sgdStep(gp, onGpu(grads), none, new boolean[sizes.length], 0.1, 0, 0, 0, false);
            assertSame(cp, gp, "sgd without momentum " + dtype);
        }
    }

    @Test
    void adamAndAdamWMatchTheCpuOverThreeSteps() {
        Random rnd = new Random(12);
        int[] sizes = {5, 70_000, 2};
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (boolean decoupled : new boolean[] {false, true}) {
                List<Tensor> cp = params(rnd, dtype, sizes);
                List<Tensor> gp = onGpu(cp);
                List<Tensor> cm = zeros(cpu, cp);
                List<Tensor> cv = zeros(cpu, cp);
                List<Tensor> gm = zeros(gpu, cp);
                List<Tensor> gv = zeros(gpu, cp);
                for (int step = 1; step <= 3; step++) {
                    List<Tensor> grads = params(rnd, dtype, sizes);
                    long[] steps = {step, step, step + 4}; // two step counts: two launches
                    cpu.adamStep(cp, grads, cm, cv, steps, 1e-3, 0.01, decoupled, 0.9, 0.999, 1e-8);
                    gpu.adamStep(gp, onGpu(grads), gm, gv, steps, 1e-3, 0.01, decoupled, 0.9, 0.999, 1e-8);
                    String what = "adam " + dtype + " decoupled=" + decoupled + " step " + step;
                    assertSame(cp, gp, what);
                    assertSame(cm, gm, what + " first moment");
                    assertSame(cv, gv, what + " second moment");
                }
            }
        }
    }
}
