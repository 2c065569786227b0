package dev.graft.engine;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tape's contract: requires-grad propagation, accumulation, no-grad scopes, graph release. */
class AutogradTest {

    @Test
    void resultRequiresGradIffAnInputDoes() {
        Tensor a = Tensor.ones(2).requiresGrad(true);
        Tensor b = Tensor.ones(2);
        assertTrue(a.add(b).requiresGrad());
        assertEquals("add", a.add(b).gradFnName());
        assertFalse(b.mul(b).requiresGrad());
        assertNull(b.mul(b).gradFnName());
        assertFalse(a.detach().exp().requiresGrad());
        assertFalse(a.gt(b).requiresGrad(), "comparison masks are constants");
    }

    @Test
    void gradientsAccumulateUntilZeroed() {
        Tensor w = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        w.mul(w).sum().backward();
        assertArrayEquals(new double[] {2, 4, 6}, w.grad().toDoubleArray());
        w.mul(3).sum().backward();
        assertArrayEquals(new double[] {5, 7, 9}, w.grad().toDoubleArray());
        w.zeroGrad();
        assertNull(w.grad());
        w.sum().backward();
        assertArrayEquals(new double[] {1, 1, 1}, w.grad().toDoubleArray());
    }

    @Test
    void sharedSubexpressionsSumTheirGradients() {
        Tensor x = Tensor.of(new double[] {2}, 1).requiresGrad(true);
        Tensor y = x.mul(x);
        y.mul(y).add(y).sum().backward();
        // d/dx (x^4 + x^2) = 4x^3 + 2x
        assertEquals(36, x.grad().item(), 1e-12);
    }

    @Test
    void explicitOutputGradient() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        x.mul(3).backward(Tensor.of(new double[] {10, 100}, 2));
        assertArrayEquals(new double[] {30, 300}, x.grad().toDoubleArray());
    }

    @Test
    void noGradScopeRecordsNothingAndNests() {
        Tensor x = Tensor.ones(2).requiresGrad(true);
        try (var outer = NoGrad.enter()) {
            try (var inner = NoGrad.enter()) {
                assertFalse(x.mul(2).requiresGrad());
            }
            assertFalse(NoGrad.isGradEnabled());
            assertFalse(x.exp().requiresGrad());
        }
        assertTrue(NoGrad.isGradEnabled());
        assertTrue(x.exp().requiresGrad());
    }

    @Test
    void graphIsReleasedAfterBackward() {
        Tensor x = Tensor.ones(2).requiresGrad(true);
        Tensor loss = x.exp().sum();
        loss.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("already released"), e.getMessage());
    }

    @Test
    void conversionGradientReturnsToTheSourceDtype() {
        Tensor x = Tensor.of(new double[] {1.5, -2}, 2).requiresGrad(true);
        x.to(DType.F32).mul(2).sum().backward();
        assertEquals(DType.F64, x.grad().dtype());
        assertArrayEquals(new double[] {2, 2}, x.grad().toDoubleArray());
    }

    @Test
    void traceListsExecutedNodesOnly() {
        Tensor frozen = Tensor.ones(3);
        Tensor w = Tensor.ones(3).requiresGrad(true);
        Tensor h = frozen.exp().mul(2);
        try (var trace = BackwardTrace.start()) {
            h.mul(w).sum().backward();
            assertEquals(List.of("sum", "mul"), trace.nodes());
        }
    }

    @Test
    void leafGradIsContiguousEvenForBroadcastGradients() {
        Tensor b = Tensor.zeros(3).requiresGrad(true);
        Tensor.ones(4, 3).add(b).sum().backward();
        assertTrue(b.grad().isContiguous());
        assertArrayEquals(new float[] {4, 4, 4}, b.grad().toFloatArray());
    }
}
