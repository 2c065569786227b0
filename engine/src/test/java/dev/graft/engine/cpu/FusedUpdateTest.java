package dev.graft.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.DType;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Parameter;
import dev.graft.engine.optim.Adam;
import dev.graft.engine.optim.AdamW;
import dev.graft.engine.optim.Optimizer;
import dev.graft.engine.optim.ParamGroup;
import dev.graft.engine.optim.Sgd;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The fused in-place F32 updates against the tensor-op updates they replace, bit for bit: the same optimizer runs
 * on a dense parameter (fused) and on an identical parameter stored at an offset inside a larger array (which
 * is not dense, so it takes the tensor ops), over lengths below one vector, with tails, and long enough to be
 * split over threads. {@code OptimizerProperties} compares both paths with double-precision references.
 */
class FusedUpdateTest {

    enum Kind { SGD, SGD_MOMENTUM, SGD_NESTEROV, ADAM, ADAMW }

    private static Function<List<ParamGroup>, Optimizer> make(Kind kind) {
        return switch (kind) {
            case SGD -> g -> new Sgd(g, 0, 0, false);
            case SGD_MOMENTUM -> g -> new Sgd(g, 0.9, 0.25, false);
            case SGD_NESTEROV -> g -> new Sgd(g, 0.8, 0, true);
            case ADAM -> g -> new Adam(g, 0.9, 0.999, 1e-8);
            case ADAMW -> g -> new AdamW(g, 0.85, 0.99, 1e-6);
        };
    }

    @Property(tries = 60)
    void fusedEqualsTensorOps(@ForAll Kind kind, @ForAll @IntRange(min = 0, max = 70) int small,
            @ForAll boolean large, @ForAll boolean decay, @ForAll @IntRange(min = 0, max = 999) int seed) {
        int n = large ? 70_001 + small : small;
        Generator gen = new Generator(seed);
        float[] init = Tensor.randn(gen, n).toFloatArray();
        float[][] grads = {Tensor.randn(gen, n).toFloatArray(), Tensor.randn(gen, n).toFloatArray(),
            Tensor.randn(gen, n).toFloatArray()};
        double wd = decay ? 0.05 : 0;
        Tensor dense = Tensor.of(init.clone(), n);
        float[] padded = new float[n + 3];
        System.arraycopy(init, 0, padded, 3, n);
        Tensor offset = Tensor.ofStrided(CpuStorage.of(padded), new int[] {n}, new int[] {1}, 3);
        assertTrue(OptimizerKernels.fusable(dense));
        assertFalse(OptimizerKernels.fusable(offset));

        float[] fused = run(kind, dense, grads, wd);
        float[] tensorOps = run(kind, offset, grads, wd);
        assertArrayEquals(tensorOps, fused, kind + " n=" + n);
    }

    /** Three steps with a changing lr; returns the parameter's values. */
    private static float[] run(Kind kind, Tensor data, float[][] grads, double wd) {
        Parameter p = new Parameter(data);
        ParamGroup group = new ParamGroup("g", Map.of("w", p), 0.1, wd);
        Optimizer opt = make(kind).apply(List.of(group));
        for (int s = 0; s < grads.length; s++) {
            group.setLr(0.1 / (s + 1));
            opt.zeroGrad();
            // d/dp sum(p * g) = g exactly.
            p.tensor().mul(Tensor.of(grads[s], grads[s].length)).sum().backward();
            opt.step();
        }
        return p.tensor().toFloatArray();
    }

    @Test
    void theComparisonCatchesADifferentUpdate() {
        Generator gen = new Generator(4);
        int n = 37;
        float[] init = Tensor.randn(gen, n).toFloatArray();
        float[][] grads = {Tensor.randn(gen, n).toFloatArray(), Tensor.randn(gen, n).toFloatArray()};
        float[] momentum = run(Kind.SGD_MOMENTUM, Tensor.of(init.clone(), n), grads, 0);
        float[] nesterov = run(Kind.SGD_NESTEROV, Tensor.of(init.clone(), n), grads, 0);
        assertThrows(AssertionError.class, () -> assertArrayEquals(momentum, nesterov));
        float[] oneUlp = momentum.clone();
        oneUlp[36] = Math.nextUp(oneUlp[36]);
        assertThrows(AssertionError.class, () -> assertArrayEquals(momentum, oneUlp));
    }

    @Test
    void onlyDenseF32CpuTensorsAreFusable() {
        assertTrue(OptimizerKernels.fusable(Tensor.zeros(3, 4)));
        assertFalse(OptimizerKernels.fusable(Tensor.zeros(DType.F64, 3, 4)));
        assertFalse(OptimizerKernels.fusable(Tensor.zeros(3, 4).t()));
        assertFalse(OptimizerKernels.fusable(Tensor.zeros(3, 4).narrow(0, 0, 2)));
        var e = assertThrows(IllegalArgumentException.class, () -> OptimizerKernels.sgd(Tensor.zeros(3),
                Tensor.zeros(DType.F64, 3), null, false, 0.1, 0, 0, 0, false));
        assertEquals("sgd: fused update needs dense F32 CPU tensors shaped like the parameter [3], got F64 [3] on cpu",
                e.getMessage());
    }
}
