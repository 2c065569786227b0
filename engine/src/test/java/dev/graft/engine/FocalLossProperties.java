package dev.graft.engine;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import static dev.graft.engine.GradCheck.assertGradients;
import static dev.graft.engine.GradCheck.leaf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import org.junit.jupiter.api.Tag;

/**
 * Finite-difference checks (F64) of {@link Functional#focalLoss} over class weights, gamma 0, 0.5 and 2 and every
 * reduction; gamma 0 is cross entropy bit for bit; and the checker rejects a focal loss whose modulating factor
 * carries no gradient, a plausible implementation mistake.
 */
@Tag("backend")
class FocalLossProperties {
    private static final double[] GAMMAS = {0, 0.5, 2};

    /** Logits [n, classes], I64 targets drawn from {@code seed} and, when weighted, class weights in [0.5, 1.5). */
    private record Inputs(Tensor logits, Tensor target, Tensor weight) {
        static Inputs of(int n, int classes, boolean weighted, int seed) {
            long[] labels = new long[n];
            Generator g = new Generator(seed + 1);
            for (int i = 0; i < n; i++) {
                labels[i] = g.nextInt(classes);
            }
            Tensor weight = weighted ? TestBackend.on(Tensor.rand(new Generator(seed + 2), classes).to(DType.F64).add(0.5)) : null;
            return new Inputs(leaf(seed, 2, 0, n, classes), TestBackend.on(Tensor.ofLongs(labels, n)), weight);
        }
    }

    @Property(tries = 40)
    void gradientMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 5) int n,
                                          @ForAll @IntRange(min = 2, max = 6) int classes,
                                          @ForAll @IntRange(min = 0, max = 2) int gammaIndex,
                                          @ForAll @IntRange(min = 0, max = 2) int reductionIndex,
                                          @ForAll boolean weighted, @ForAll @IntRange(min = 0, max = 999) int seed) {
        Inputs in = Inputs.of(n, classes, weighted, seed);
        double gamma = GAMMAS[gammaIndex];
        Reduction reduction = Reduction.values()[reductionIndex];
        assertGradients("focal_loss gamma " + gamma + " " + reduction,
                t -> Functional.focalLoss(t[0], in.target(), in.weight(), gamma, reduction), in.logits());
    }

    @Property(tries = 30)
    void gammaZeroIsCrossEntropy(@ForAll @IntRange(min = 1, max = 6) int n,
                                          @ForAll @IntRange(min = 2, max = 6) int classes,
                                          @ForAll @IntRange(min = 0, max = 2) int reductionIndex,
                                          @ForAll boolean weighted, @ForAll boolean f64,
                                          @ForAll @IntRange(min = 0, max = 999) int seed) {
        Inputs in = Inputs.of(n, classes, weighted, seed);
        DType dtype = f64 ? DType.F64 : DType.F32;
        Tensor weight = in.weight() == null ? null : in.weight().to(dtype);
        Reduction reduction = Reduction.values()[reductionIndex];
        Tensor a = in.logits().detach().to(dtype).requiresGrad(true);
        Tensor b = in.logits().detach().to(dtype).requiresGrad(true);
        Tensor focal = Functional.focalLoss(a, in.target(), weight, 0, reduction);
        Tensor ce = Functional.crossEntropy(b, in.target(), weight, 0, reduction);
        assertArrayEquals(ce.toDoubleArray(), focal.toDoubleArray());
        focal.sum().backward();
        ce.sum().backward();
        // Cross entropy's backward is the fused closed form, focal loss's the composed chain rule: equal up to
        // rounding of the last bits.
        double tolerance = f64 ? 1e-14 : 1e-6;
        double[] expected = b.grad().toDoubleArray();
        double[] actual = a.grad().toDoubleArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance * (1 + Math.abs(expected[i])), "gradient element " + i);
        }
    }

    /** Gamma above 0 down-weights confident samples: each per-sample loss is at most cross entropy's. */
    @Property(tries = 20)
    void focalLossIsAtMostCrossEntropy(@ForAll @IntRange(min = 1, max = 6) int n,
                                       @ForAll @IntRange(min = 2, max = 6) int classes,
                                       @ForAll @IntRange(min = 1, max = 2) int gammaIndex,
                                       @ForAll @IntRange(min = 0, max = 999) int seed) {
        Inputs in = Inputs.of(n, classes, true, seed);
        double[] focal = Functional.focalLoss(in.logits(), in.target(), in.weight(), GAMMAS[gammaIndex], Reduction.NONE)
                .toDoubleArray();
        double[] ce = Functional.crossEntropy(in.logits(), in.target(), in.weight(), 0, Reduction.NONE).toDoubleArray();
        for (int i = 0; i < n; i++) {
            assertFalse(focal[i] > ce[i] || focal[i] < 0, "sample " + i + ": focal " + focal[i] + ", CE " + ce[i]);
        }
    }

    /** A focal loss whose (1 - p_t)^gamma is treated as a constant must fail the gradient check. */
    @Example
    void detachedModulatingFactorIsCaught() {
        Inputs in = Inputs.of(4, 3, true, 11);
        GradCheck.Result r = GradCheck.check(t -> {
            Tensor logProbs = Functional.logSoftmax(t[0], 1);
            Tensor modulation = logProbs.exp().neg().add(1).pow(2).detach();
            return Functional.nllLoss(logProbs.mul(modulation), in.target(), in.weight(), Reduction.MEAN);
        }, in.logits());
        assertFalse(r.passed(), r.worst());
        // The same composition with the factor's gradient kept equals focalLoss and passes.
        Tensor viaNll = Functional.nllLoss(Functional.logSoftmax(in.logits(), 1).mul(
                Functional.softmax(in.logits(), 1).neg().add(1).pow(2)), in.target(), in.weight(), Reduction.MEAN);
        assertEquals(Functional.focalLoss(in.logits(), in.target(), in.weight(), 2, Reduction.MEAN).item(),
                viaNll.item(), 1e-12);
    }
}
