package dev.graft.engine;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Functional#focalLoss} in F32 against the focal formula written out in PyTorch ops, evaluated in F64 by
 * make_optim_fixtures.py (values and gradients of a random weighting of the output, every element within
 * {@code 1e-5 · max(1, max|reference|)}); its behaviour where p_t rounds to 1; and its argument checks.
 */
class FocalLossTest {
    private static final SafetensorsCases FIXTURE = SafetensorsCases.load("focal.safetensors");
    private static final double RELATIVE_TOLERANCE = 1e-5;

    /** The focal loss of a case's logits, as graft computes it or as a substitute under test. */
    private interface Loss {
        Tensor apply(Tensor logits, Tensor target, Tensor weight, double gamma, Reduction reduction);
    }

    private static Reduction reduction(SafetensorsCases.Case c) {
        return Reduction.valueOf(c.arg("reduction").toUpperCase(Locale.ROOT));
    }

    /** Every disagreement of {@code loss} with the case's output and input gradient. */
    private static List<String> mismatches(SafetensorsCases.Case c, Loss loss) {
        Tensor x = c.tensor("x").detach().requiresGrad(true);
        Tensor weight = c.tensors().get("weight");
        Tensor out = loss.apply(x, c.tensor("target"), weight, c.real("gamma"), reduction(c));
        out.mul(c.tensor("gout").reshape(out.shape())).sum().backward();
        List<String> problems = new ArrayList<>();
        compare("out", out, c.tensor("out"), problems);
        compare("grad.x", x.grad(), c.tensor("grad.x"), problems);
        return problems;
    }

    private static void compare(String what, Tensor actual, Tensor expected, List<String> problems) {
        double[] a = actual.toDoubleArray();
        double[] e = expected.toDoubleArray();
        double scale = 1;
        for (double v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs(a[i] - e[i]);
            if (!(d <= RELATIVE_TOLERANCE * scale)) {
                problems.add(what + "[" + i + "]: graft " + a[i] + ", PyTorch " + e[i]);
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> matchesThePyTorchFormula() {
        return FIXTURE.cases().values().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            List<String> problems = mismatches(c, Functional::focalLoss);
            assertTrue(problems.isEmpty(), c.name() + ":\n" + String.join("\n", problems));
        }));
    }

    @Test
    void fixturesCoverGammasReductionsAndWeights() {
        assertEquals(List.of(0.0, 0.5, 1.0, 2.0), FIXTURE.cases().values().stream().map(c -> c.real("gamma"))
                .distinct().sorted().toList());
        assertEquals(List.of("mean", "none", "sum"), FIXTURE.cases().values().stream().map(c -> c.arg("reduction"))
                .distinct().sorted().toList());
        assertTrue(FIXTURE.cases().values().stream().anyMatch(c -> c.tensors().containsKey("weight")));
    }

    /** The comparison tells focal loss from cross entropy, and the right gamma from a neighbour. */
    @Test
    void crossEntropyOrAnotherGammaFailsTheComparison() {
        SafetensorsCases.Case c = FIXTURE.get("focal_gamma2_weight_mean");
        assertFalse(mismatches(c, (x, t, w, g, r) -> Functional.crossEntropy(x, t, w, 0, r)).isEmpty());
        assertFalse(mismatches(c, (x, t, w, g, r) -> Functional.focalLoss(x, t, w, g * 0.9, r)).isEmpty());
        // A MEAN over the batch size instead of the summed target weights.
        assertFalse(mismatches(c, (x, t, w, g, r) -> Functional.focalLoss(x, t, w, g, Reduction.SUM)
                .div(x.size(0))).isEmpty());
    }

    @Test
    void gammaZeroCaseEqualsCrossEntropy() {
        SafetensorsCases.Case c = FIXTURE.get("focal_gamma0_weight_mean");
        assertEquals(0.0, c.real("gamma"));
        List<String> problems = mismatches(c, (x, t, w, g, r) -> Functional.crossEntropy(x, t, w, 0, r));
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /**
     * With the target's logit 60 above the rest, p_t is 1 in F32 and F64 alike and 1 - p_t is 0; the gradient of
     * (1 - p_t)^gamma alone would be infinite for gamma < 1, but the loss's gradient is 0 and must stay finite.
     */
    @Test
    void confidentTargetGivesZeroLossAndFiniteGradient() {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (double gamma : new double[] {0.25, 0.5, 1, 2}) {
                Tensor logits = Tensor.of(new double[] {60, 0, -1, 2, 61, 1}, 2, 3).to(dtype).requiresGrad(true);
                Tensor target = Tensor.ofLongs(new long[] {0, 0}, 2);
                Tensor loss = Functional.focalLoss(logits, target, null, gamma, Reduction.SUM);
                loss.backward();
                double[] grad = logits.grad().toDoubleArray();
                for (double g : grad) {
                    assertTrue(Double.isFinite(g), dtype + " gamma " + gamma + ": gradient " + g);
                }
                // Sample 0 contributes nothing; sample 1 (target logit 2 against 61) a loss of 59.
                for (int j = 0; j < 3; j++) {
                    assertEquals(0, grad[j], 1e-12, dtype + " gamma " + gamma + ": gradient of sample 0");
                }
                assertEquals(59, loss.item(), 1e-4);
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        Tensor logits = Tensor.zeros(2, 3);
        Tensor target = Tensor.ofLongs(new long[] {0, 2}, 2);
        for (double gamma : new double[] {-0.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            rejects(() -> Functional.focalLoss(logits, target, null, gamma, Reduction.MEAN), "focal_loss", "gamma",
                    String.valueOf(gamma));
        }
        rejects(() -> Functional.focalLoss(logits, Tensor.ofLongs(new long[] {0, 3}, 2), null, 2, Reduction.MEAN),
                "focal_loss", "class 3", "[0, 3)");
        rejects(() -> Functional.focalLoss(logits, Tensor.zeros(2), null, 2, Reduction.MEAN), "focal_loss", "I64");
        rejects(() -> Functional.focalLoss(logits, target, Tensor.ones(4), 2, Reduction.MEAN), "focal_loss", "weight",
                "3 classes");
        rejects(() -> Functional.focalLoss(Tensor.zeros(3), target, null, 2, Reduction.MEAN), "focal_loss", "2-D");
    }

    private static void rejects(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message \"" + e.getMessage() + "\" should contain \"" + f + "\"");
        }
    }
}
