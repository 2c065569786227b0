package dev.graft.engine;

import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The graph keeps what backward needs and nothing else: an intermediate that no backward function saved can be
 * collected between forward and backward (the memory a ResNet's BatchNorm outputs took before the ReLU after
 * them), while the saved ones stay.
 */
class SavedTensorsTest {
    /** Whether the collector takes {@code ref}'s referent within a few full collections. */
    private static boolean collected(WeakReference<?> ref) throws InterruptedException {
        for (int i = 0; i < 20 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(5);
        }
        return ref.get() == null;
    }

    private record Graph(Tensor loss, WeakReference<Storage> product, WeakReference<Storage> shifted,
                         WeakReference<Storage> relu, WeakReference<Storage> sum) {
    }

    /** loss = Σ relu(x·w + 1)·(x + w) + Σ (x·w) - with weak handles on the intermediates. */
    private static Graph graph(Tensor x, Tensor w) {
        Tensor product = x.mul(w);            // saves x and w, not its output
        Tensor shifted = product.add(1.0);    // saves nothing
        Tensor relu = shifted.relu();         // saves its output only
        Tensor sum = x.add(w);                // saves nothing
        Tensor loss = relu.mul(sum).sum().add(product.sum());
        return new Graph(loss, new WeakReference<>(product.storage()), new WeakReference<>(shifted.storage()),
                new WeakReference<>(relu.storage()), new WeakReference<>(sum.storage()));
    }

    @Test
    void intermediatesNoBackwardNeedsAreCollectedBeforeBackwardAndTheGradientsAreRight() throws Exception {
        Tensor x = Tensor.of(new double[] {-2, -0.5, 0.25, 1.5}, 4).requiresGrad(true);
        Tensor w = Tensor.of(new double[] {0.5, 3, -1, 2}, 4).requiresGrad(true);
        Graph g = graph(x, w);
        assertTrue(collected(g.shifted()), "the ReLU's input is not saved");
        assertTrue(collected(g.product()), "x·w feeds only a shift and a sum, which save nothing");
        assertFalse(collected(g.relu()), "the ReLU's output is saved (by the ReLU and by the product after it)");
        assertFalse(collected(g.sum()), "x + w is saved by the product that reads it");
        g.loss().backward();
        // d/dx of relu(xw+1)(x+w) + xw = 1[xw+1>0]·w·(x+w) + relu(xw+1) + w, symmetric for w.
        double[] xs = {-2, -0.5, 0.25, 1.5};
        double[] ws = {0.5, 3, -1, 2};
        double[] gx = new double[4];
        double[] gw = new double[4];
        for (int i = 0; i < 4; i++) {
            double z = xs[i] * ws[i] + 1;
            double r = Math.max(z, 0);
            double on = z > 0 ? 1 : 0;
            gx[i] = on * ws[i] * (xs[i] + ws[i]) + r + ws[i];
            gw[i] = on * xs[i] * (xs[i] + ws[i]) + r + xs[i];
        }
        assertArrayEquals(gx, x.grad().toDoubleArray(), 1e-12);
        assertArrayEquals(gw, w.grad().toDoubleArray(), 1e-12);
    }
}
