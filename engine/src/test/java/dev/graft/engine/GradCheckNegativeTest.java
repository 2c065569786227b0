package dev.graft.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that the gradient checker fails on planted errors, so its passes mean something. */
class GradCheckNegativeTest {

    /** x·y with a backward that is off by {@code factor} for x. */
    private static Tensor skewedMul(Tensor x, Tensor y, double factor) {
        Tensor out = x.detach().mul(y.detach());
        return Node.record("skewed_mul", out, g -> new Tensor[] {g.mul(y).mul(factor), g.mul(x)}, x, y);
    }

    @Test
    void correctGradientPasses() {
        Tensor a = GradCheck.leaf(1, 1, 0, 3, 4);
        Tensor b = GradCheck.leaf(2, 1, 0, 3, 4);
        assertTrue(GradCheck.check(t -> skewedMul(t[0], t[1], 1.0), a, b).passed());
    }

    @Test
    void plantedErrorOfOnePerMilleIsCaught() {
        Tensor a = GradCheck.leaf(1, 1, 0, 3, 4);
        Tensor b = GradCheck.leaf(2, 1, 0, 3, 4);
        GradCheck.Result r = GradCheck.check(t -> skewedMul(t[0], t[1], 1.001), a, b);
        assertFalse(r.passed(), "a 0.1% gradient error must fail the check: " + r.worst());
        assertThrows(AssertionError.class,
                () -> GradCheck.assertGradients("skewed", t -> skewedMul(t[0], t[1], 1.001), a, b));
    }

    @Test
    void missingGradientContributionIsCaught() {
        Tensor a = GradCheck.leaf(3, 1, 0, 5);
        // Uses a twice but lets only one use carry a gradient, like a forgotten accumulation.
        GradCheck.Result r = GradCheck.check(t -> skewedMul(t[0], t[0].detach(), 1.0), a);
        assertFalse(r.passed(), r.worst());
    }
}
