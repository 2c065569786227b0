package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.BinaryOp;
import dev.graft.engine.DType;
import dev.graft.engine.PoolGeometry;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import dev.graft.engine.UnaryOp;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs every method of the op groups on a {@link RecordingDevice} and checks each launch against the kernel's
 * parameters as the .cu sources declare them (count, and the Java type of each argument: a 144-byte View, a
 * pointer, long long, int, float or double) and against the launch limits (grid y and block size). What the
 * kernels compute is the GPU test's business; a Java Integer where the kernel reads a long long is this one's.
 */
class OpGroupLaunchesTest {
    private static final Map<String, List<KernelSignatures.Kind>> SIGNATURES = KernelSignatures.read();

    private RecordingDevice device;
    private CudaElementwise elementwise;
    private CudaReductions reductions;

    @BeforeEach
    void fresh() {
        device = new RecordingDevice();
        elementwise = new CudaElementwise(device);
        reductions = new CudaReductions(device, elementwise);
    }

    private Tensor on(DType dtype, int... shape) {
        return Tensor.of(device.allocate(dtype, Shape.numel(shape)), shape);
    }

    /** Every launch so far matches its kernel; returns them and starts afresh. */
    private List<RecordingDevice.Launch> checked() {
        for (RecordingDevice.Launch l : device.launches) {
            assertMatches(l);
        }
        List<RecordingDevice.Launch> out = List.copyOf(device.launches);
        device.launches.clear();
        return out;
    }

    static void assertMatches(RecordingDevice.Launch l) {
        List<KernelSignatures.Kind> kinds = SIGNATURES.get(l.entry());
        assertTrue(kinds != null, l.entry() + " is not a kernel of the sources");
        assertEquals(kinds.size(), l.args().length, l.entry() + ": argument count");
        for (int i = 0; i < kinds.size(); i++) {
            Object a = l.args()[i];
            boolean ok = switch (kinds.get(i)) {
                case VIEW -> a instanceof byte[] b && b.length == ViewArgument.BYTES;
                case POINTER -> a == null || a instanceof Tensor || a instanceof CudaStorage || a instanceof Long;
                case LONG -> a instanceof Long;
                case INT -> a instanceof Integer;
                case FLOAT -> a instanceof Float;
                case DOUBLE -> a instanceof Double;
            };
            assertTrue(ok, l.entry() + ": argument " + i + " should be " + kinds.get(i) + ", is "
                    + (a == null ? "null" : a.getClass().getSimpleName()));
        }
        int threads = l.blockX() * l.blockY();
        assertTrue(l.gridX() >= 1 && l.gridY() >= 1 && l.gridY() <= 65535, l.entry() + ": grid " + l.gridX() + "x"
                + l.gridY());
        assertTrue(threads >= 32 && threads <= 1024 && threads % 32 == 0, l.entry() + ": block " + threads);
    }

    @Test
    void theSignaturesCoverEveryEntryAndTheCheckCatchesAWrongType() {
        assertEquals(KernelImage.ENTRIES.size(), SIGNATURES.size());
        assertTrue(SIGNATURES.keySet().containsAll(KernelImage.ENTRIES));
        assertEquals(List.of(KernelSignatures.Kind.VIEW, KernelSignatures.Kind.POINTER, KernelSignatures.Kind.VIEW,
                KernelSignatures.Kind.POINTER, KernelSignatures.Kind.LONG), SIGNATURES.get(KernelImage.COPY_I64_F32));
        assertEquals(16, SIGNATURES.get(KernelImage.MAX_POOL2D_FORWARD_F32).size(), "the POOL macro expanded");
        byte[] view = new byte[ViewArgument.BYTES];
        RecordingDevice.Launch intForLong = new RecordingDevice.Launch(KernelImage.FILL_F32, 1, 1, 256, 1,
                new Object[] {view, null, 5, 1.0});
        assertThrows(AssertionError.class, () -> assertMatches(intForLong));
        RecordingDevice.Launch right = new RecordingDevice.Launch(KernelImage.FILL_F32, 1, 1, 256, 1,
                new Object[] {view, null, 5L, 1.0});
        assertMatches(right);
    }

    @Test
    void elementwiseLaunches() {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            Tensor x = on(dtype, 7, 9).t();
            Tensor row = on(dtype, 1, 7).expand(9, 7);
            for (UnaryOp op : UnaryOp.values()) {
                assertArrayEquals(new int[] {9, 7}, elementwise.unary(op, x, 0.5, 2).shape());
            }
            for (BinaryOp op : BinaryOp.values()) {
                elementwise.binary(op, x, row);
            }
            elementwise.where(on(DType.I64, 9, 7), x, row);
            assertEquals(List.of(KernelImage.COPY_I64_F32.replace("f32", dtype.name().toLowerCase()),
                    dtype == DType.F32 ? KernelImage.WHERE_F32 : KernelImage.WHERE_F64),
                    device.entries().subList(device.launches.size() - 2, device.launches.size()),
                    "a condition of another dtype is converted first");
            Tensor y = on(dtype, 2, 3, 4, 5);
            elementwise.convEpilogue(y, on(dtype, 3), null, on(dtype, 2, 3, 4, 5), true);
            Tensor hot = elementwise.oneHot(on(DType.I64, 4, 1, 5), 1, 10, dtype);
            assertArrayEquals(new int[] {4, 10, 5}, hot.shape());
            Object[] args = device.launches.getLast().args();
            assertEquals(RecordingDevice.ERROR_FLAG, args[args.length - 1]);
        }
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                elementwise.copy(on(from, 4, 6).t(), on(to, 6, 8).slice(1, 0, 8, 2));
            }
            elementwise.fill(on(from, 5, 5).slice(0, 0, 5, 2), 3);
        }
        assertEquals(2 * (UnaryOp.values().length + BinaryOp.values().length + 4) + 9 + 3, checked().size());
    }

    @Test
    void emptyTensorsLaunchNothing() {
        elementwise.unary(UnaryOp.EXP, on(DType.F32, 0, 3), 0, 0);
        elementwise.copy(on(DType.F32, 0), on(DType.F64, 0));
        assertArrayEquals(new int[] {1, 3}, reductions.sum(on(DType.F32, 0, 3), new boolean[] {true, false}).shape());
        assertEquals(List.of(), device.launches);
    }

    @Test
    void sumsFollowTheirPlan() {
        // Contiguous suffix: one sum_last in place.
        Tensor x = on(DType.F32, 6, 50);
        assertArrayEquals(new int[] {6, 1}, reductions.sum(x, new boolean[] {false, true}).shape());
        List<RecordingDevice.Launch> l = checked();
        assertEquals(List.of(KernelImage.SUM_LAST_F32), l.stream().map(RecordingDevice.Launch::entry).toList());
        assertTrue(l.get(0).args()[0] == x, "summed where it lies");

        // Interleaved: a permuted copy, then a split sum and its second pass.
        Tensor y = on(DType.F64, 2, 3, 40_000);
        assertArrayEquals(new int[] {1, 3, 1}, reductions.sum(y, new boolean[] {true, false, true}).shape());
        l = checked();
        assertEquals(List.of(KernelImage.COPY_F64_F64, KernelImage.SUM_LAST_F64, KernelImage.SUM_LAST_F64),
                l.stream().map(RecordingDevice.Launch::entry).toList());
        SumPlan plan = SumPlan.of(y.shape(), true, new boolean[] {true, false, true});
        assertTrue(plan.parts() > 1);
        assertEquals(plan.parts(), l.get(1).gridY());
        assertEquals((long) plan.parts(), l.get(1).args()[4]);
        assertEquals(1, l.get(2).gridY());
        assertEquals((long) plan.parts(), l.get(2).args()[3], "the second pass sums the parts");

        // Prefix with many outputs: sum_first on 32x8 blocks.
        reductions.sum(on(DType.F32, 1000, 70), new boolean[] {true, false});
        l = checked();
        assertEquals(KernelImage.SUM_FIRST_F32, l.getLast().entry());
        assertEquals(32, l.getLast().blockX());
        assertEquals(8, l.getLast().blockY());

        // Only size-1 dimensions reduced: a copy.
        reductions.sum(on(DType.F32, 4, 1).t(), new boolean[] {true, false});
        assertEquals(List.of(KernelImage.COPY_F32_F32), checked().stream().map(RecordingDevice.Launch::entry).toList());
    }

    @Test
    void maxCopiesOnlyStridedInputs() {
        Tensor[] r = reductions.max(on(DType.F32, 3, 5, 7), 1);
        assertArrayEquals(new int[] {3, 1, 7}, r[0].shape());
        assertEquals(DType.I64, r[1].dtype());
        reductions.max(on(DType.F64, 5, 3).t(), 1);
        List<RecordingDevice.Launch> l = checked();
        assertEquals(List.of(KernelImage.MAX_MIDDLE_F32, KernelImage.COPY_F64_F64, KernelImage.MAX_MIDDLE_F64),
                l.stream().map(RecordingDevice.Launch::entry).toList());
        assertEquals(List.of(3L, 5L, 7L), Arrays.asList(l.get(0).args()).subList(3, 6));
        assertThrows(IllegalArgumentException.class, () -> reductions.max(on(DType.F32, 3, 0), 1));
    }

    @Test
    void crossEntropyLaunches() {
        CudaLosses losses = new CudaLosses(device);
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (int c : new int[] {10, 1000}) {
                Tensor target = on(DType.I64, 33);
                Tensor[] f = losses.forward(on(dtype, 33, c), target, null, 0.1);
                assertArrayEquals(new int[] {33}, f[0].shape());
                assertArrayEquals(new int[] {33, c}, f[1].shape());
                assertArrayEquals(new int[] {33}, f[2].shape());
                losses.forward(on(dtype, 33, c), target, on(dtype, c), 0);
                Tensor scalar = on(dtype, 1);
                losses.backward(scalar.expand(33), f[1], target, null, 0.1);
                losses.backward(on(dtype, 33), f[1], target, on(dtype, c), 0);
                List<RecordingDevice.Launch> l = checked();
                assertEquals(c <= 64 ? 32 : 256, l.get(0).blockX());
                assertEquals(0L, l.get(4).args()[4], "a broadcast gradient has stride 0");
                assertEquals(1L, l.get(5).args()[4]);
                String gather = dtype == DType.F32 ? KernelImage.GATHER_ROWS_F32 : KernelImage.GATHER_ROWS_F64;
                assertEquals(gather, l.get(3).entry(), "w[t] gathered from the weights");
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> losses.forward(on(DType.F32, 4, 3), on(DType.F32, 4), null, 0), "float targets");
    }

    @Test
    void indexingLaunches() {
        CudaIndexing indexing = new CudaIndexing(device);
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            assertArrayEquals(new int[] {4, 6}, indexing.gatherRows(on(dtype, 9, 6), on(DType.I64, 4)).shape());
            Object[] args = device.launches.getLast().args();
            assertEquals(RecordingDevice.ERROR_FLAG, args[args.length - 1]);
            assertArrayEquals(new int[] {2, 7, 3, 2}, indexing.subsamplePadChannels(on(dtype, 2, 3, 5, 4), 2).shape());
            assertArrayEquals(new int[] {2, 3, 5, 4},
                    indexing.subsamplePadChannelsBackward(on(dtype, 2, 7, 3, 2), new int[] {2, 3, 5, 4}, 2).shape());
        }
        assertEquals(List.of(KernelImage.GATHER_ROWS_F32, KernelImage.SHORTCUT_A_FORWARD_F32,
                KernelImage.SHORTCUT_A_BACKWARD_F32, KernelImage.GATHER_ROWS_F64, KernelImage.SHORTCUT_A_FORWARD_F64,
                KernelImage.SHORTCUT_A_BACKWARD_F64), checked().stream().map(RecordingDevice.Launch::entry).toList());
    }

    @Test
    void poolingLaunches() {
        CudaPooling pooling = new CudaPooling(device);
        PoolGeometry g = PoolGeometry.of("pool", new int[] {2, 3, 11, 9}, new int[] {3, 3}, new int[] {2, 2},
                new int[] {1, 1});
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            Tensor x = on(dtype, 2, 3, 11, 9);
            Tensor[] m = pooling.maxPool2d(x, g);
            assertArrayEquals(g.outputShape(), m[1].shape());
            assertArrayEquals(x.shape(), pooling.maxPool2dBackward(on(dtype, g.outputShape()), m[1], g).shape());
            pooling.avgPool2d(x, g, true);
            pooling.avgPool2dBackward(on(dtype, g.outputShape()), g, false);
            assertArrayEquals(new int[] {2, 3, 4, 5}, pooling.adaptiveAvgPool2d(x, 4, 5).shape());
            assertArrayEquals(x.shape(), pooling.adaptiveAvgPool2dBackward(on(dtype, 2, 3, 4, 5), x.shape()).shape());
        }
        assertEquals(12, checked().size());
        assertThrows(IllegalArgumentException.class, () -> pooling.maxPool2d(on(DType.F32, 2, 3, 9, 11), g));
    }

    @Test
    void optimizerLaunchesOnePerStateWithTheirArgumentBlock() {
        CudaOptimizers optimizers = new CudaOptimizers(device);
        List<Tensor> params = List.of(on(DType.F32, 3), on(DType.F32, 20_000), on(DType.F32, 0), on(DType.F32, 5));
        List<Tensor> grads = params.stream().map(p -> on(DType.F32, p.shape())).toList();
        List<Tensor> buffers = Arrays.asList(on(DType.F32, 3), on(DType.F32, 20_000), on(DType.F32, 0), null);
        optimizers.sgd(params, grads, buffers, new boolean[] {true, false, true, false}, 0.1, 1e-4, 0.9, 0, true);
        List<RecordingDevice.Launch> l = checked();
        assertEquals(3, l.size(), "first step, later steps, no buffer");
        assertEquals(1, l.get(0).args()[11], "first-step flag");
        assertEquals(0, l.get(1).args()[11]);
        assertEquals(0L, l.get(2).args()[2], "no buffers: a null pointer array");
        assertEquals(0.1f, l.get(0).args()[7]);
        assertEquals(2L, l.get(1).args()[5], "20000 elements make two chunks");
        long[] second = device.uploads.get(1);
        assertEquals(CudaStorage.address(params.get(1)), second[0]);
        assertEquals(CudaStorage.address(grads.get(1)), second[1]);
        assertEquals(CudaStorage.address(buffers.get(1)), second[2]);

        device.uploads.clear();
        List<Tensor> moments = params.stream().map(p -> on(DType.F32, p.shape())).toList();
        List<Tensor> squares = params.stream().map(p -> on(DType.F32, p.shape())).toList();
        optimizers.adam(params, grads, moments, squares, new long[] {2, 1, 2, 2}, 1e-3, 0.01, true, 0.9, 0.999, 1e-8);
        l = checked();
        assertEquals(2, l.size(), "one launch per step count");
        OptimizerScalars.Adam s = OptimizerScalars.Adam.of(1e-3, 0.01, true, 0.9, 0.999, 1e-8, 2);
        assertEquals(s.stepSize(), l.get(0).args()[18]);
        assertEquals(3, device.uploads.get(0)[4 * 3], "sizes follow the pointers of the step-2 group");

        optimizers.sgd(List.of(params.get(2)), List.of(grads.get(2)), Collections.singletonList(null),
                new boolean[] {true}, 0.1, 0, 0, 0, false);
        assertEquals(0, device.launches.size(), "nothing to update: no launch");
    }
}
