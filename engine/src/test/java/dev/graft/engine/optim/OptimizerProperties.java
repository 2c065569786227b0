package dev.graft.engine.optim;

import dev.graft.engine.DType;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import dev.graft.engine.TestBackend;
import dev.graft.engine.nn.Parameter;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;
import org.junit.jupiter.api.Tag;

/**
 * Sgd, Adam and AdamW against plain double loops that restate PyTorch 1.13's update rules element by element,
 * over random hyper-parameters, F32 and F64: two parameters in two groups with their own lr and weight decay,
 * an lr that changes every step, and a second parameter that misses its gradient on some steps (so it is
 * skipped and, for Adam, keeps its own step count). A planted flaw in the reference must be caught.
 */
@Tag("backend")
class OptimizerProperties {
    /** Two AVX-512 vectors and a tail (the fused F32 kernels' vector loop and masked tail), and less than a vector. */
    private static final int N1 = 37;
    private static final int N2 = 3;

    /** Deliberate mistakes for the negative check; NONE is PyTorch's rule. */
    enum Flaw { NONE, DAMPED_FIRST_BUFFER, NO_BIAS_CORRECTION, EPS_BEFORE_BIAS_CORRECTION, COUPLED_DECAY }

    /** Initial values, per-step gradients (null: no gradient that step) and lr multipliers. */
    record Problem(double[][] init, double[][][] grads, double[] lrScale, double[] lr, double[] wd) {
    }

    /** Values representable in F32, so that F32 and the double reference start from the same numbers. */
    private static double[] floats(Generator gen, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((gen.nextDouble() * 2 - 1) * scale);
        }
        return v;
    }

    static Problem problem(long seed, int steps, double lr, double wd) {
        Generator gen = new Generator(seed);
        double[][] init = {floats(gen, N1, 1), floats(gen, N2, 1)};
        double[][][] grads = new double[steps][2][];
        double[] lrScale = new double[steps];
        for (int s = 0; s < steps; s++) {
            grads[s][0] = floats(gen, N1, 2);
            grads[s][1] = s == 0 || gen.nextDouble() < 0.6 ? floats(gen, N2, 0.5) : null;
            lrScale[s] = 0.5 + gen.nextDouble();
        }
        if (steps > 1) {
            grads[steps - 1][1] = null; // at least one skipped step
        }
        return new Problem(init, grads, lrScale, new double[] {lr, lr / 3}, new double[] {wd, 0});
    }

    /** graft's result: both parameters after every step of {@code make}'s optimizer in {@code dtype}. */
    static double[][] graft(Problem pr, DType dtype, Function<List<ParamGroup>, Optimizer> make) {
        Parameter[] p = new Parameter[2];
        ParamGroup[] groups = new ParamGroup[2];
        for (int k = 0; k < 2; k++) {
            p[k] = new Parameter(TestBackend.on(Tensor.of(pr.init()[k], pr.init()[k].length).to(dtype)));
            groups[k] = new ParamGroup("g" + k, Map.of("p" + k, p[k]), pr.lr()[k], pr.wd()[k]);
        }
        Optimizer opt = make.apply(List.of(groups));
        for (int s = 0; s < pr.grads().length; s++) {
            for (int k = 0; k < 2; k++) {
                groups[k].setLr(pr.lr()[k] * pr.lrScale()[s]);
            }
            opt.zeroGrad();
            for (int k = 0; k < 2; k++) {
                double[] g = pr.grads()[s][k];
                if (g != null) {
                    // d/dp sum(p * g) = g exactly.
                    p[k].tensor().mul(TestBackend.on(Tensor.of(g, g.length).to(dtype))).sum().backward();
                }
            }
            opt.step();
        }
        return new double[][] {p[0].tensor().toDoubleArray(), p[1].tensor().toDoubleArray()};
    }

    /** torch.optim.SGD, element by element. */
    static double[][] sgdReference(Problem pr, double momentum, double dampening, boolean nesterov, Flaw flaw) {
        double[][] out = new double[2][];
        for (int k = 0; k < 2; k++) {
            double[] p = pr.init()[k].clone();
            double[] buf = null;
            for (int s = 0; s < pr.grads().length; s++) {
                double[] g = pr.grads()[s][k];
                if (g == null) {
                    continue;
                }
                double lr = pr.lr()[k] * pr.lrScale()[s];
                boolean first = buf == null;
                if (first) {
                    buf = new double[p.length];
                }
                for (int i = 0; i < p.length; i++) {
                    double d = g[i] + pr.wd()[k] * p[i];
                    if (momentum != 0) {
                        buf[i] = first && flaw != Flaw.DAMPED_FIRST_BUFFER ? d
                                : momentum * buf[i] + (1 - dampening) * d;
                        d = nesterov ? d + momentum * buf[i] : buf[i];
                    }
                    p[i] -= lr * d;
                }
            }
            out[k] = p;
        }
        return out;
    }

    /** torch.optim.Adam (decoupled = false) and AdamW (true), element by element. */
    static double[][] adamReference(Problem pr, double beta1, double beta2, double eps, boolean decoupled, Flaw flaw) {
        double[][] out = new double[2][];
        for (int k = 0; k < 2; k++) {
            double[] p = pr.init()[k].clone();
            double[] m = new double[p.length];
            double[] v = new double[p.length];
            int t = 0;
            for (int s = 0; s < pr.grads().length; s++) {
                double[] grad = pr.grads()[s][k];
                if (grad == null) {
                    continue;
                }
                t++;
                double lr = pr.lr()[k] * pr.lrScale()[s];
                double wd = pr.wd()[k];
                double bc1 = flaw == Flaw.NO_BIAS_CORRECTION ? 1 : 1 - Math.pow(beta1, t);
                double bc2 = flaw == Flaw.NO_BIAS_CORRECTION ? 1 : 1 - Math.pow(beta2, t);
                for (int i = 0; i < p.length; i++) {
                    double g = grad[i];
                    if (decoupled && flaw != Flaw.COUPLED_DECAY) {
                        p[i] *= 1 - lr * wd;
                    } else {
                        g += wd * p[i];
                    }
                    m[i] = beta1 * m[i] + (1 - beta1) * g;
                    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                    double denom = flaw == Flaw.EPS_BEFORE_BIAS_CORRECTION ? (Math.sqrt(v[i]) + eps) / Math.sqrt(bc2)
                            : Math.sqrt(v[i]) / Math.sqrt(bc2) + eps;
                    p[i] -= lr / bc1 * m[i] / denom;
                }
            }
            out[k] = p;
        }
        return out;
    }

    /** The largest difference, relative to max(1, |reference|). */
    static double worstError(double[][] actual, double[][] reference) {
        double worst = 0;
        for (int k = 0; k < reference.length; k++) {
            for (int i = 0; i < reference[k].length; i++) {
                double e = Math.abs(actual[k][i] - reference[k][i]) / Math.max(1, Math.abs(reference[k][i]));
                worst = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(worst, e);
            }
        }
        return worst;
    }

    private static double tolerance(DType dtype) {
        return dtype == DType.F64 ? 1e-12 : 2e-5;
    }

    @Property(tries = 60)
    void sgdMatchesReference(@ForAll boolean f64, @ForAll @IntRange(min = 1, max = 6) int steps,
                             @ForAll @Scale(6) @DoubleRange(min = 0.001, max = 0.5) double lr,
                             @ForAll @Scale(6) @DoubleRange(min = 0, max = 0.1) double wd,
                             @ForAll @Scale(6) @DoubleRange(min = 0, max = 0.99) double momentum,
                             @ForAll @Scale(6) @DoubleRange(min = 0, max = 1) double dampening,
                             @ForAll @IntRange(min = 0, max = 2) int variant, @ForAll @IntRange(min = 0, max = 999) int seed) {
        // variant 0: plain SGD, 1: momentum with dampening, 2: Nesterov (momentum, no dampening).
        double mom = variant == 0 ? 0 : Math.max(momentum, 0.01);
        double damp = variant == 1 ? dampening : 0;
        boolean nesterov = variant == 2;
        DType dtype = f64 ? DType.F64 : DType.F32;
        Problem pr = problem(seed, steps, lr, wd);
        double error = worstError(graft(pr, dtype, g -> new Sgd(g, mom, damp, nesterov)),
                sgdReference(pr, mom, damp, nesterov, Flaw.NONE));
        assertTrue(error <= tolerance(dtype), dtype + " error " + error);
    }

    @Property(tries = 60)
    void adamAndAdamWMatchReference(@ForAll boolean f64, @ForAll boolean decoupled,
                                    @ForAll @IntRange(min = 1, max = 6) int steps,
                                    @ForAll @Scale(6) @DoubleRange(min = 0.001, max = 0.3) double lr,
                                    @ForAll @Scale(6) @DoubleRange(min = 0, max = 0.2) double wd,
                                    @ForAll @Scale(6) @DoubleRange(min = 0, max = 0.99) double beta1,
                                    @ForAll @Scale(6) @DoubleRange(min = 0.5, max = 0.9999) double beta2,
                                    @ForAll @Scale(6) @DoubleRange(min = 0, max = 0.1) double eps,
                                    @ForAll @IntRange(min = 0, max = 999) int seed) {
        DType dtype = f64 ? DType.F64 : DType.F32;
        Problem pr = problem(seed, steps, lr, wd);
        Function<List<ParamGroup>, Optimizer> make = decoupled ? g -> new AdamW(g, beta1, beta2, eps)
                : g -> new Adam(g, beta1, beta2, eps);
        double error = worstError(graft(pr, dtype, make), adamReference(pr, beta1, beta2, eps, decoupled, Flaw.NONE));
        assertTrue(error <= tolerance(dtype), dtype + " error " + error);
    }

    /** Each planted flaw in the reference is far outside the tolerance, so the properties can fail. */
    @Example
    void plantedFlawsAreCaught() {
        Problem pr = problem(7, 4, 0.1, 0.05);
        // PyTorch starts the buffer at the undamped first gradient; a zero buffer would damp it.
        double[][] sgd = graft(pr, DType.F64, g -> new Sgd(g, 0.9, 0.3, false));
        assertCaught(sgd, sgdReference(pr, 0.9, 0.3, false, Flaw.NONE), sgdReference(pr, 0.9, 0.3, false,
                Flaw.DAMPED_FIRST_BUFFER));
        double[][] adam = graft(pr, DType.F64, g -> new Adam(g, 0.9, 0.999, 1e-3));
        double[][] exact = adamReference(pr, 0.9, 0.999, 1e-3, false, Flaw.NONE);
        assertCaught(adam, exact, adamReference(pr, 0.9, 0.999, 1e-3, false, Flaw.NO_BIAS_CORRECTION));
        assertCaught(adam, exact, adamReference(pr, 0.9, 0.999, 1e-3, false, Flaw.EPS_BEFORE_BIAS_CORRECTION));
        double[][] adamw = graft(pr, DType.F64, g -> new AdamW(g, 0.9, 0.999, 1e-3));
        assertCaught(adamw, adamReference(pr, 0.9, 0.999, 1e-3, true, Flaw.NONE),
                adamReference(pr, 0.9, 0.999, 1e-3, true, Flaw.COUPLED_DECAY));
    }

    /** graft passes against the exact reference and fails, by a wide margin, against the flawed one. */
    private static void assertCaught(double[][] graft, double[][] exact, double[][] flawed) {
        double pass = worstError(graft, exact);
        double fail = worstError(graft, flawed);
        assertTrue(pass <= tolerance(DType.F64) && fail > 100 * tolerance(DType.F32),
                "error against the exact reference " + pass + ", against the flawed one " + fail);
    }
}
