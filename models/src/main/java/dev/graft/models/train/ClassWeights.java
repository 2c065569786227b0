package dev.graft.models.train;

import dev.graft.engine.Tensor;

import java.util.Arrays;

/** Loss weights per class for imbalanced data. */
final class ClassWeights {
    private ClassWeights() {
    }

    /**
     * {@code --class-weights auto}: {@code n / (classes · count[c])}, scikit-learn's "balanced" rule, so every
     * class contributes the same total weight and a balanced dataset gets weight 1 everywhere.
     *
     * @throws IllegalArgumentException when a class has no samples (its weight would be infinite)
     */
    static Tensor inverseFrequency(int[] counts) {
        long n = Arrays.stream(counts).asLongStream().sum();
        float[] w = new float[counts.length];
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] <= 0) {
                throw new IllegalArgumentException("class weights: class " + c + " has no training samples; counts "
                        + Arrays.toString(counts));
            }
            w[c] = (float) ((double) n / ((long) counts.length * counts[c]));
        }
        return Tensor.of(w, counts.length);
    }
}
