package dev.graft.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that the gradient checker fails on planted errors, so its passes mean something. */
class GradCheckNegativeTest {
    private static final Function<Tensor[], Tensor> RAW_READ = t -> doubledReadingRawStorage(t[0]);

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

    /**
     * 2·x whose backward hands the incoming gradient's storage to a "kernel" that takes it as a dense array from
     * index 0, the way a backward that forgets {@code contiguous()} does.
     */
    private static Tensor doubledReadingRawStorage(Tensor x) {
        Tensor out = x.detach().mul(2);
        return Node.record("raw_read", out, g -> new Tensor[] {
            Tensor.ofStrided(g.storage(), g.shape(), Shape.contiguousStrides(g.shape()), 0).mul(2)}, x);
    }

    @Test
    void backwardReadingTheGradientAsDenseIsCaughtByEveryNonDenseSeed() {
        Tensor a = GradCheck.leaf(4, 1, 0, 2, 3, 4);
        assertTrue(GradCheck.check(RAW_READ, List.of(GradCheck.Seed.DENSE), a).passed(),
                "a dense incoming gradient hides the bug, as it did before the other seeds existed");
        for (GradCheck.Seed seed : List.of(GradCheck.Seed.OFFSET, GradCheck.Seed.PERMUTED)) {
            GradCheck.Result r = GradCheck.check(RAW_READ, List.of(seed), a);
            assertFalse(r.passed(), seed + " must expose the raw read: " + r.worst());
            assertTrue(r.worst().startsWith(seed + " gradient"), r.worst());
        }
        // A stride-0 gradient's storage is smaller than the tensor, so the raw read runs off its end.
        var e = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.check(RAW_READ, List.of(GradCheck.Seed.BROADCAST), a));
        assertTrue(e.getMessage().contains("reaches outside"), e.getMessage());
        assertThrows(RuntimeException.class, () -> GradCheck.assertGradients("raw read", RAW_READ, a));
    }

    /** What reaches the backward of the checked function's output under each seed. */
    @Test
    void seedsDeliverTheLayoutsTheyName() {
        // Recorded inside backward: the gradient itself is the check's own memory, recycled when its step ends.
        record Layout(int[] shape, int[] strides, int offset, boolean contiguous, int storageSize) {
        }
        List<Layout> seen = new ArrayList<>();
        Function<Tensor[], Tensor> spy = t -> {
            Tensor out = t[0].detach().mul(2);
            return Node.record("spy", out, g -> {
                seen.add(new Layout(g.shape(), g.strides(), g.offset(), g.isContiguous(), g.storage().size()));
                return new Tensor[] {g.mul(2)};
            }, t[0]);
        };
        Tensor a = GradCheck.leaf(5, 1, 0, 2, 3, 4);
        for (GradCheck.Seed seed : GradCheck.Seed.values()) {
            seen.clear();
            assertTrue(GradCheck.check(spy, List.of(seed), a).passed(), seed.toString());
            assertEquals(1, seen.size());
            Layout g = seen.getFirst();
            assertArrayEquals(new int[] {2, 3, 4}, g.shape());
            switch (seed) {
                case DENSE -> assertTrue(g.contiguous() && g.offset() == 0 && g.storageSize() == 24);
                case OFFSET -> assertTrue(g.contiguous() && g.offset() > 0 && g.storageSize() > 24);
                case PERMUTED -> assertTrue(!g.contiguous() && g.storageSize() == 24);
                case BROADCAST -> assertArrayEquals(new int[] {3, 1, 0}, g.strides(), "stride 0 along the largest dim");
            }
        }
    }
}
