package dev.graft.engine;

import dev.graft.engine.cpu.StepMemory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Compares autograd gradients with central finite differences in F64. The function's output is reduced to a
 * scalar by linear losses with fixed random weights, one per {@link Seed}, so every output element's gradient
 * path is exercised and the op's backward receives its incoming gradient in each memory layout a real graph
 * produces: dense, at an offset, permuted and broadcast (stride 0).
 */
final class GradCheck {
    static final double STEP = 1e-6;
    static final double ABS_TOL = 1e-7;
    static final double REL_TOL = 1e-5;

    private GradCheck() {
    }

    /** How the gradient of the function's output reaches the backward of the op that produced it. */
    enum Seed {
        /** sum(out ⊙ W): a dense gradient. */
        DENSE,
        /** sum(pad(out, dim 0) ⊙ W): a contiguous view at a non-zero offset into a larger storage. */
        OFFSET,
        /**
         * sum(out.permute(reversed dims) ⊙ W): a permuted view over a storage of exactly its size, which a kernel
         * reading it as dense gets silently wrong (the same as DENSE for fewer than two dims).
         */
        PERMUTED,
        /** sum(out.sum(largest dim, keepdim) ⊙ W): stride 0 along that dim (the same as DENSE for a scalar). */
        BROADCAST;

        /** A scalar loss, linear in {@code out}, with weights drawn from {@code seed}. */
        Function<Tensor, Tensor> loss(int[] outShape, long seed) {
            Generator g = new Generator(seed);
            int rank = outShape.length;
            return switch (this) {
                case DENSE -> {
                    Tensor w = weights(g, outShape);
                    yield out -> out.mul(w).sum();
                }
                case OFFSET -> {
                    int[] shape = rank == 0 ? new int[] {1} : outShape;
                    int[] padded = shape.clone();
                    padded[0] += 3;
                    // pad's pairs run from the last dim backwards: the final pair pads dim 0.
                    int[] padding = new int[2 * shape.length];
                    padding[padding.length - 2] = 1;
                    padding[padding.length - 1] = 2;
                    Tensor w = weights(g, padded);
                    yield out -> out.reshape(shape).pad(padding, 0).mul(w).sum();
                }
                case PERMUTED -> {
                    int[] reversed = new int[rank];
                    for (int i = 0; i < rank; i++) {
                        reversed[i] = rank - 1 - i;
                    }
                    Tensor w = weights(g, outShape).permute(reversed);
                    yield out -> out.permute(reversed).mul(w).sum();
                }
                case BROADCAST -> {
                    if (rank == 0) {
                        yield DENSE.loss(outShape, seed);
                    }
                    int dim = 0;
                    for (int i = 1; i < rank; i++) {
                        dim = outShape[i] > outShape[dim] ? i : dim;
                    }
                    int[] kept = outShape.clone();
                    kept[dim] = 1;
                    int[] dims = {dim};
                    Tensor w = weights(g, kept);
                    yield out -> out.sum(dims, true).mul(w).sum();
                }
            };
        }

        private static Tensor weights(Generator g, int[] shape) {
            return TestBackend.on(Tensor.randn(g, shape).to(DType.F64));
        }
    }

    /** The worst disagreement found: which seed, input and element, analytic and numeric values. */
    record Result(double worstExcess, String worst) {
        boolean passed() {
            return worstExcess <= 0;
        }
    }

    private static List<Tensor> survivors(Tensor[] inputs) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor in : inputs) {
            out.add(in);
            out.add(in.grad());
        }
        return out;
    }

    /** Checks every F64 input that requires grad under every {@link Seed}; {@code f} must be deterministic. */
    static Result check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        return check(f, List.of(Seed.values()), inputs);
    }

    /**
     * Checks under the given seeds. The numeric Jacobian is taken once; each seed's numeric gradient is its
     * product with that loss's effective weights (the loss's gradient with respect to the output).
     */
    static Result check(Function<Tensor[], Tensor> f, List<Seed> seeds, Tensor... inputs) {
        Tensor probe;
        try (var _ = NoGrad.enter()) {
            probe = f.apply(inputs);
        }
        if (probe.dtype() != DType.F64) {
            throw new IllegalArgumentException("gradcheck needs an F64 output, got " + probe.dtype());
        }
        int[] outShape = probe.shape();
        StepMemory memory = new StepMemory();
        double[][] effective = new double[seeds.size()][];
        double[][][] analytic = new double[seeds.size()][inputs.length][];
        for (int s = 0; s < seeds.size(); s++) {
            Function<Tensor, Tensor> loss = seeds.get(s).loss(outShape, probe.numel() * 31L + 7);
            Tensor at = probe.detach().requiresGrad(true);
            loss.apply(at).backward();
            effective[s] = at.grad().toDoubleArray();
            for (Tensor in : inputs) {
                in.zeroGrad();
            }
            // Inside a step, backward hands each gradient it has consumed back to the CPU backend at once: an
            // operation whose backward returned a tensor it still needs would fail here.
            try (var _ = memory.step(inputs[0].backend(), () -> survivors(inputs))) {
                loss.apply(f.apply(inputs)).backward();
            }
            for (int i = 0; i < inputs.length; i++) {
                Tensor g = inputs[i].grad();
                analytic[s][i] = g == null ? new double[inputs[i].numel()] : g.toDoubleArray();
            }
        }
        double worstExcess = Double.NEGATIVE_INFINITY;
        String worst = "no input requires grad";
        for (int i = 0; i < inputs.length; i++) {
            Tensor in = inputs[i];
            if (!in.requiresGrad()) {
                continue;
            }
            double[] base = in.toDoubleArray();
            for (int j = 0; j < base.length; j++) {
                double[] plus = output(f, inputs, i, base, j, STEP);
                double[] minus = output(f, inputs, i, base, j, -STEP);
                for (int s = 0; s < seeds.size(); s++) {
                    double numeric = 0;
                    for (int k = 0; k < plus.length; k++) {
                        numeric += (plus[k] - minus[k]) / (2 * STEP) * effective[s][k];
                    }
                    double a = analytic[s][i][j];
                    double excess = Math.abs(a - numeric) - (ABS_TOL + REL_TOL * Math.abs(numeric));
                    if (excess > worstExcess || Double.isNaN(excess)) {
                        worstExcess = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
                        worst = seeds.get(s) + " gradient, input " + i + " " + Shape.format(in.shapeRef()) + " element "
                                + j + ": analytic " + a + " numeric " + numeric;
                    }
                }
            }
            in.copyFrom(Tensor.of(base, in.shape()));
        }
        return new Result(worstExcess, worst);
    }

    /** The function's output with element {@code element} of input {@code which} moved by {@code delta}. */
    private static double[] output(Function<Tensor[], Tensor> f, Tensor[] inputs, int which, double[] base, int element,
                                   double delta) {
        double[] moved = Arrays.copyOf(base, base.length);
        moved[element] += delta;
        inputs[which].copyFrom(Tensor.of(moved, inputs[which].shape()));
        try (var _ = NoGrad.enter()) {
            return f.apply(inputs).toDoubleArray();
        }
    }

    /** Fails with the worst element when any gradient disagrees under any seed. */
    static void assertGradients(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        Result r = check(f, inputs);
        if (!r.passed()) {
            throw new AssertionError(what + ": gradient mismatch at " + r.worst());
        }
    }

    /** An F64 leaf on the backend under test ({@link TestBackend}), requiring grad, with values drawn from N(0, 1) scaled by {@code scale}, shifted by {@code shift}. */
    static Tensor leaf(long seed, double scale, double shift, int... shape) {
        return TestBackend.on(Tensor.randn(new Generator(seed), shape).to(DType.F64)).mul(scale).add(shift).detach()
                .requiresGrad(true);
    }

    /** An F64 leaf whose values stay at least {@code gap} away from zero (for kinks at 0 and divisions). */
    static Tensor awayFromZero(long seed, double gap, int... shape) {
        double[] v = Tensor.randn(new Generator(seed), shape).to(DType.F64).toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] >= 0 ? v[i] + gap : v[i] - gap;
        }
        return TestBackend.on(Tensor.of(v, shape)).requiresGrad(true);
    }
}
