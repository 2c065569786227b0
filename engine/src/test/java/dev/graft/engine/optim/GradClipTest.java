package dev.graft.engine.optim;

import dev.graft.engine.DType;
import dev.graft.engine.SafetensorsCases;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Parameter;
import dev.graft.engine.nn.Sequential;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import org.junit.jupiter.api.Tag;

/** {@link GradClip#clipGradNorm} against torch.nn.utils.clip_grad_norm_ on the small CNN, and by hand. */
@Tag("backend")
class GradClipTest {

    @TestFactory
    Stream<DynamicTest> matchesPyTorchOnTheSmallCnn() {
        return SmallCnn.FIXTURE.cases().values().stream().filter(c -> c.arg("op").equals("clip_grad_norm"))
                .map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(SafetensorsCases.Case c) {
        Sequential net = SmallCnn.build();
        if (c.has("frozen")) {
            net.namedParameters().get(c.arg("frozen")).setTrainable(false);
        }
        SmallCnn.loss(net).backward();
        double norm = GradClip.clipGradNorm(net.parameters(), c.real("max_norm"));
        double expectedNorm = c.tensor("total_norm").item();
        assertEquals(expectedNorm, norm, 1e-6 * expectedNorm, c.name() + ": total norm");
        net.namedParameters().forEach((name, p) -> {
            if (!c.tensors().containsKey(name + ".grad")) {
                assertNull(p.grad(), c.name() + ": " + name + " has no grad in PyTorch");
                return;
            }
            double[] expected = c.tensor(name + ".grad").toDoubleArray();
            double[] actual = p.grad().toDoubleArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-7, c.name() + ": " + name + ".grad[" + i + "]");
            }
        });
    }

    @Test
    void bothCasesAreInTheFixture() {
        SafetensorsCases.Case clipped = SmallCnn.FIXTURE.get("clip_to_quarter_frozen_conv");
        SafetensorsCases.Case loose = SmallCnn.FIXTURE.get("clip_loose");
        assertTrue(clipped.tensor("total_norm").item() > clipped.real("max_norm"), "this case must clip");
        assertTrue(loose.tensor("total_norm").item() < loose.real("max_norm"), "this case must not clip");
    }

    /** A parameter whose grad is exactly {@code values} (F64). */
    private static Parameter withGrad(double... values) {
        Parameter p = new Parameter(Tensor.zeros(DType.F64, values.length));
        p.tensor().mul(Tensor.of(values, values.length)).sum().backward();
        return p;
    }

    @Test
    void scalesByMaxNormOverNormPlusEpsWhenAbove() {
        Parameter a = withGrad(3, 0);
        Parameter b = withGrad(0, -4);
        double norm = GradClip.clipGradNorm(List.of(a, b), 1);
        assertEquals(5, norm);
        double coef = 1 / (5 + 1e-6);
        assertArrayEquals(new double[] {3 * coef, 0}, a.grad().toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {0, -4 * coef}, b.grad().toDoubleArray(), 1e-15);
    }

    @Test
    void leavesGradsAloneWhenWithinTheLimit() {
        Parameter a = withGrad(0.3, -0.4);
        Tensor before = a.grad();
        assertEquals(0.5, GradClip.clipGradNorm(List.of(a), 0.5 + 2e-6), 1e-15);
        assertArrayEquals(new double[] {0.3, -0.4}, a.grad().toDoubleArray());
        assertTrue(before == a.grad(), "the grad tensor is kept");
    }

    @Test
    void ignoresParametersWithoutGradAndCountsRepeatsOnce() {
        Parameter a = withGrad(6, 8);
        Parameter none = new Parameter(Tensor.zeros(DType.F64, 2));
        assertEquals(10, GradClip.clipGradNorm(List.of(a, none, a), 100));
        assertNull(none.grad());
        assertEquals(0, GradClip.clipGradNorm(List.of(none), 1));
        assertEquals(0, GradClip.clipGradNorm(List.of(), 1));
    }

    @Test
    void clipsF32GradsInPlace() {
        Parameter p = new Parameter(Tensor.zeros(2));
        p.tensor().mul(Tensor.of(new float[] {30, 40}, 2)).sum().backward();
        Tensor grad = p.grad();
        assertEquals(50, GradClip.clipGradNorm(List.of(p), 5), 1e-5);
        assertTrue(grad == p.grad(), "the grad is scaled in place");
        assertArrayEquals(new float[] {3, 4}, p.grad().toFloatArray(), 1e-5f);
    }

    @Test
    void nonFiniteNormLeavesGradsForTheCallerToSkip() {
        Parameter a = withGrad(Double.POSITIVE_INFINITY, 1);
        Parameter b = withGrad(2, 3);
        assertEquals(Double.POSITIVE_INFINITY, GradClip.clipGradNorm(List.of(a, b), 1));
        assertArrayEquals(new double[] {2, 3}, b.grad().toDoubleArray());
        Parameter c = withGrad(Double.NaN, 1);
        assertTrue(Double.isNaN(GradClip.clipGradNorm(List.of(c), 1)));
        assertEquals(1, c.grad().toDoubleArray()[1]);
    }

    @Test
    void rejectsBadArguments() {
        Parameter a = withGrad(1, 2);
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GradClip.clipGradNorm(List.of(a), bad));
            assertTrue(e.getMessage().startsWith("clipGradNorm: maxNorm"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(null, 1));
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(Arrays.asList(a, null), 1));
        assertArrayEquals(new double[] {1, 2}, a.grad().toDoubleArray(), "a rejected call changes nothing");
    }
}
