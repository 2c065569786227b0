package dev.graft.models.train;

import dev.graft.engine.Functional;
import dev.graft.engine.Reduction;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClassWeightsTest {

    @Test
    void inverseFrequencyBalancesTheClasses() {
        // 90 / 10: n / (classes * count) = 100 / 180 and 100 / 20.
        Tensor w = ClassWeights.inverseFrequency(new int[] {90, 10});
        assertArrayEquals(new float[] {100f / 180, 5f}, w.toFloatArray(), 1e-7f);
        // Each class then carries the same total weight, and a balanced set gets weight 1 everywhere.
        assertEquals(90 * w.get(0), 10 * w.get(1), 1e-5);
        assertArrayEquals(new float[] {1, 1, 1}, ClassWeights.inverseFrequency(new int[] {7, 7, 7}).toFloatArray());
    }

    @Test
    void weightedLossCountsTheRareClassAsMuchAsTheCommonOne() {
        // Ten samples, nine of class 0; the logits put every sample's mass on class 0.
        long[] y = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        float[] logits = new float[20];
        for (int i = 0; i < 10; i++) {
            logits[2 * i] = 2;
        }
        Tensor x = Tensor.of(logits, 10, 2);
        Tensor labels = Tensor.ofLongs(y, 10);
        double plain = Functional.crossEntropy(x, labels, null, 0, Reduction.MEAN).item();
        double weighted = Functional.crossEntropy(x, labels, ClassWeights.inverseFrequency(new int[] {9, 1}), 0,
                Reduction.MEAN).item();
        double right = Math.log(1 + Math.exp(-2));
        double wrong = Math.log(1 + Math.exp(2));
        assertEquals((9 * right + wrong) / 10, plain, 1e-6);
        // Weighted mean: (9·w0·right + w1·wrong) / (9·w0 + w1) with 9·w0 = w1.
        assertEquals((right + wrong) / 2, weighted, 1e-6);
        assertTrue(weighted > plain);
    }

    @Test
    void anEmptyClassIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> ClassWeights.inverseFrequency(new int[] {3, 0}));
        assertTrue(e.getMessage().contains("class 1") && e.getMessage().contains("[3, 0]"), e.getMessage());
    }
}
