package dev.graft.engine;

import java.util.function.Function;

/**
 * Compares autograd gradients with central finite differences in F64. The function's output is reduced to
 * a scalar with fixed random weights, so every output element's gradient path is exercised.
 */
final class GradCheck {
    static final double STEP = 1e-6;
    static final double ABS_TOL = 1e-7;
    static final double REL_TOL = 1e-5;

    private GradCheck() {
    }

    /** The worst disagreement found: which input, which element, analytic and numeric values. */
    record Result(double worstExcess, String worst) {
        boolean passed() {
            return worstExcess <= 0;
        }
    }

    /** Checks every F64 input that requires grad; {@code f} must be deterministic. */
    static Result check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        Tensor out = f.apply(inputs);
        if (out.dtype() != DType.F64) {
            throw new IllegalArgumentException("gradcheck needs an F64 output, got " + out.dtype());
        }
        Tensor weights = Tensor.randn(new Generator(out.numel() * 31L + 7), out.shape()).to(DType.F64);
        for (Tensor in : inputs) {
            in.zeroGrad();
        }
        out.mul(weights).sum().backward();
        double worstExcess = Double.NEGATIVE_INFINITY;
        String worst = "no input requires grad";
        for (int i = 0; i < inputs.length; i++) {
            Tensor in = inputs[i];
            if (!in.requiresGrad()) {
                continue;
            }
            double[] analytic = in.grad() == null ? new double[in.numel()] : in.grad().toDoubleArray();
            double[] base = in.toDoubleArray();
            for (int j = 0; j < base.length; j++) {
                double numeric = (loss(f, inputs, i, base, j, STEP, weights) - loss(f, inputs, i, base, j, -STEP, weights))
                        / (2 * STEP);
                double excess = Math.abs(analytic[j] - numeric) - (ABS_TOL + REL_TOL * Math.abs(numeric));
                if (excess > worstExcess || Double.isNaN(excess)) {
                    worstExcess = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
                    worst = "input " + i + " " + Shape.format(in.shape()) + " element " + j + ": analytic "
                            + analytic[j] + " numeric " + numeric;
                }
            }
            in.copyFrom(Tensor.of(base, in.shape()));
        }
        return new Result(worstExcess, worst);
    }

    private static double loss(Function<Tensor[], Tensor> f, Tensor[] inputs, int which, double[] base, int element,
                               double delta, Tensor weights) {
        double[] moved = base.clone();
        moved[element] += delta;
        inputs[which].copyFrom(Tensor.of(moved, inputs[which].shape()));
        try (var _ = NoGrad.enter()) {
            return f.apply(inputs).mul(weights).sum().item();
        }
    }

    /** Fails with the worst element when any gradient disagrees. */
    static void assertGradients(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        Result r = check(f, inputs);
        if (!r.passed()) {
            throw new AssertionError(what + ": gradient mismatch at " + r.worst());
        }
    }

    /** An F64 leaf requiring grad with values drawn from N(0, 1) scaled by {@code scale}, shifted by {@code shift}. */
    static Tensor leaf(long seed, double scale, double shift, int... shape) {
        return Tensor.randn(new Generator(seed), shape).to(DType.F64).mul(scale).add(shift).detach().requiresGrad(true);
    }

    /** An F64 leaf whose values stay at least {@code gap} away from zero (for kinks at 0 and divisions). */
    static Tensor awayFromZero(long seed, double gap, int... shape) {
        double[] v = Tensor.randn(new Generator(seed), shape).to(DType.F64).toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] >= 0 ? v[i] + gap : v[i] - gap;
        }
        return Tensor.of(v, shape).requiresGrad(true);
    }
}
