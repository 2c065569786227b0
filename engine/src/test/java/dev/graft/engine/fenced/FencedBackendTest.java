package dev.graft.engine.fenced;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.Backend;
import dev.graft.engine.Backends;
import dev.graft.engine.BinaryOp;
import dev.graft.engine.ConvGeometry;
import dev.graft.engine.DType;
import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Reduction;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.AdaptiveAvgPool2d;
import dev.graft.engine.nn.BatchNorm2d;
import dev.graft.engine.nn.Conv2d;
import dev.graft.engine.nn.Dropout;
import dev.graft.engine.nn.Flatten;
import dev.graft.engine.nn.Linear;
import dev.graft.engine.nn.MaxPool2d;
import dev.graft.engine.nn.ReLU;
import dev.graft.engine.nn.Sequential;
import dev.graft.engine.optim.AdamW;
import dev.graft.engine.optim.GradClip;
import dev.graft.engine.optim.Optimizer;
import dev.graft.engine.optim.ParamGroup;
import dev.graft.engine.optim.Sgd;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The fence itself (it must catch mixing, or the suites that run on it prove nothing), moving tensors and modules
 * between backends, and the SPI's composed defaults, which only the fenced backend runs, against the CPU's fused
 * kernels.
 */
class FencedBackendTest {
    private static final Backend CPU = Backends.cpu();
    private static final Backend FENCED = Backends.get(FencedBackend.NAME);

    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Generator(seed), shape);
    }

    @Test
    void registryFindsBothBackendsAndNamesTheInstalledOnes() {
        assertTrue(Backends.names().containsAll(List.of("cpu", "fenced")), Backends.names().toString());
        assertSame(FENCED, Backends.get("fenced"));
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.get("tpu"));
        assertTrue(e.getMessage().contains("unknown backend 'tpu'; installed: cpu, fenced"), e.getMessage());
    }

    @Test
    void theFenceRefusesCpuTensorsAndTheCpuRefusesFencedOnes() {
        Tensor onCpu = randn(1, 2, 3);
        Tensor fenced = onCpu.to(FENCED);
        var e = assertThrows(IllegalStateException.class, () -> FENCED.binary(BinaryOp.ADD, fenced, onCpu));
        assertTrue(e.getMessage().contains("binary got a tensor [2, 3] living on backend cpu"), e.getMessage());
        var cpuSide = assertThrows(IllegalArgumentException.class, () -> CPU.conv2d(fenced.reshape(1, 1, 2, 3),
                Tensor.ones(1, 1, 1, 1), null, ConvGeometry.of(new int[] {1, 1, 2, 3}, new int[] {1, 1, 1, 1},
                        new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1)));
        assertTrue(cpuSide.getMessage().contains("lives on backend fenced"), cpuSide.getMessage());
        var ops = assertThrows(IllegalArgumentException.class, () -> fenced.add(onCpu));
        assertTrue(ops.getMessage().contains("different backends, fenced vs cpu"), ops.getMessage());
    }

    /** The negative check: an op that builds a constant on the CPU behind its input's backend is caught. */
    @Test
    void aPlantedCpuAllocationInsideAnOpIsCaught() {
        Function<Tensor, Tensor> leaky = x -> Tensor.where(x.gt(Tensor.zeros(1)), x, Tensor.zeros(1));
        Tensor cpuInput = randn(2, 4);
        assertEquals(4, leaky.apply(cpuInput).numel());
        assertThrows(IllegalArgumentException.class, () -> leaky.apply(cpuInput.to(FENCED)));
    }

    @Test
    void toCopiesAcrossBackendsAndTheGradientFlowsBack() {
        Tensor x = randn(3, 2, 3).requiresGrad(true);
        Tensor y = x.to(FENCED);
        assertSame(FENCED, y.backend());
        assertArrayEquals(x.toFloatArray(), y.toFloatArray());
        y.mul(y).sum().backward();
        assertSame(CPU, x.grad().backend());
        assertArrayEquals(x.mul(2).toFloatArray(), x.grad().toFloatArray());
        Tensor strided = randn(4, 3, 4).t();
        assertArrayEquals(strided.toFloatArray(), strided.to(FENCED).toFloatArray());
        assertArrayEquals(new long[] {3, -1}, Tensor.ofLongs(new long[] {3, -1}, 2).to(FENCED).toLongArray());
    }

    @Test
    void moveToKeepsTheTensorObjectAndRefusesViewsAndResults() {
        Tensor t = randn(5, 3);
        float[] values = t.toFloatArray();
        assertSame(t, t.moveTo(FENCED));
        assertSame(FENCED, t.backend());
        assertArrayEquals(values, t.toFloatArray());
        var view = assertThrows(IllegalArgumentException.class, () -> randn(6, 4).narrow(0, 1, 2).moveTo(FENCED));
        assertTrue(view.getMessage().contains("moveTo: tensor [2] is a view"), view.getMessage());
        Tensor result = randn(7, 2).requiresGrad(true).mul(2);
        var nonLeaf = assertThrows(IllegalArgumentException.class, () -> result.moveTo(FENCED));
        assertTrue(nonLeaf.getMessage().contains("only leaf tensors move in place"), nonLeaf.getMessage());
    }

    private static Sequential net(long seed) {
        Generator gen = new Generator(seed);
        return new Sequential(new Conv2d(3, 4, 3, 1, 1, false, gen), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
                new Conv2d(4, 6, 3, 2, 1, true, gen), new BatchNorm2d(6), new ReLU(), new AdaptiveAvgPool2d(1),
                new Flatten(), new Dropout(0.3, new Generator(seed + 1)), new Linear(6, 3, true, gen));
    }

    /**
     * Three training steps of a small CNN (conv, batch norm, pools, dropout, cross entropy with smoothing, clipping,
     * SGD then AdamW) on each backend from the same start: the fenced run uses the composed defaults for the
     * loss and the updates, the CPU run its fused kernels, and they agree to F32 rounding.
     */
    @Test
    void aModuleMovedToTheFencedBackendTrainsLikeOnTheCpu() {
        float[][] cpu = train(net(9), CPU);
        Sequential moved = net(9);
        moved.to(FENCED);
        moved.namedParameters().values().forEach(p -> assertSame(FENCED, p.tensor().backend()));
        moved.namedBuffers().values().forEach(b -> assertSame(FENCED, b.backend()));
        float[][] fenced = train(moved, FENCED);
        for (int i = 0; i < cpu.length; i++) {
            for (int j = 0; j < cpu[i].length; j++) {
                assertEquals(cpu[i][j], fenced[i][j], 2e-5 * (1 + Math.abs(cpu[i][j])), "tensor " + i + " element " + j);
            }
        }
        assertEquals(3, moved.stateDict().get("1.num_batches_tracked").toLongArray()[0]);
    }

    /** Every parameter and buffer after the steps, then the eval-mode logits. */
    private static float[][] train(Sequential net, Backend backend) {
        Tensor x = randn(11, 4, 3, 8, 8).to(backend);
        Tensor target = Tensor.ofLongs(new long[] {0, 2, 1, 2}, 4).to(backend);
        List<Optimizer> optimizers = List.of(
                new Sgd(List.of(new ParamGroup("all", net.namedParameters(), 0.05, 1e-3)), 0.9, 0, true),
                new AdamW(List.of(new ParamGroup("all", net.namedParameters(), 0.01, 0.01)), 0.9, 0.99, 1e-8));
        net.train();
        for (int step = 0; step < 3; step++) {
            Optimizer opt = optimizers.get(step == 0 ? 0 : 1);
            opt.zeroGrad();
            Functional.crossEntropy(net.forward(x), target, null, 0.1, Reduction.MEAN).backward();
            GradClip.clipGradNorm(net.parameters(), 0.5);
            opt.step();
        }
        net.eval();
        List<Tensor> all = new java.util.ArrayList<>(net.stateDict().values().stream()
                .filter(t -> t.dtype() == DType.F32).toList());
        try (var _ = NoGrad.enter()) {
            all.add(net.forward(x));
        }
        float[][] out = new float[all.size()][];
        for (int i = 0; i < out.length; i++) {
            assertSame(backend, all.get(i).backend());
            out[i] = all.get(i).toFloatArray();
        }
        return out;
    }

    @Test
    void gatheredRowsAreTheTablesRowsOnBothBackends() {
        Tensor table = randn(30, 7, 5);
        Tensor indices = Tensor.ofLongs(new long[] {6, 0, 6, 3}, 4);
        float[] all = table.toFloatArray();
        float[] expected = new float[4 * 5];
        long[] picked = indices.toLongArray();
        for (int r = 0; r < 4; r++) {
            System.arraycopy(all, (int) picked[r] * 5, expected, r * 5, 5);
        }
        assertArrayEquals(expected, Functional.gatherRows(table, indices).toFloatArray());
        Tensor onFence = Functional.gatherRows(table.to(FENCED), indices.to(FENCED));
        assertSame(FENCED, onFence.backend());
        assertArrayEquals(expected, onFence.toFloatArray());
        var e = assertThrows(IllegalArgumentException.class,
                () -> Functional.gatherRows(table, Tensor.ofLongs(new long[] {7}, 1)));
        assertTrue(e.getMessage().contains("row 7 out of range [0, 7)"), e.getMessage());
    }

    @Test
    void theComposedFusedConvolutionMatchesTheCpuKernel() {
        Tensor x = randn(20, 2, 5, 7, 6);
        Tensor w = randn(21, 4, 5, 3, 3);
        Tensor scale = randn(22, 4);
        Tensor shift = randn(23, 4);
        Tensor residual = randn(24, 2, 4, 4, 3);
        Function<Backend, float[]> run = b -> Functional.conv2dFused(x.to(b), w.to(b), scale.to(b), shift.to(b),
                residual.to(b), true, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, 1).toFloatArray();
        float[] fused = run.apply(CPU);
        float[] composed = run.apply(FENCED);
        for (int i = 0; i < fused.length; i++) {
            assertEquals(fused[i], composed[i], 1e-5 * (1 + Math.abs(fused[i])), "element " + i);
        }
    }
}
