package dev.graft.models.data;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** A deterministic train/validation split that keeps each class's share, for datasets without a val folder. */
public final class StratifiedSplit {
    private StratifiedSplit() {
    }

    /** Both parts keep the dataset's classes and its sample order. */
    public record Split(ImageDataset train, ImageDataset val) {
    }

    /**
     * Per class, a seeded shuffle of its samples, then the first {@code round(valFraction · count)} (half up)
     * go to val: at least one, and at most {@code count − 1}, when the class has two or more samples, so that
     * every such class is in both parts. The split depends only on the dataset, the fraction and the seed.
     *
     * @throws IllegalArgumentException when {@code valFraction} is not strictly between 0 and 1
     */
    public static Split split(ImageDataset data, double valFraction, long seed) {
        if (!(valFraction > 0 && valFraction < 1)) {
            throw new IllegalArgumentException("stratified split: validation fraction must be in (0, 1), got "
                    + valFraction);
        }
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < data.classes().size(); c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < data.size(); i++) {
            byClass.get(data.samples().get(i).label()).add(i);
        }
        boolean[] val = new boolean[data.size()];
        for (int c = 0; c < byClass.size(); c++) {
            List<Integer> members = byClass.get(c);
            int count = members.size();
            int take = (int) Math.round(valFraction * count);
            if (count >= 2) {
                take = Math.clamp(take, 1, count - 1);
            }
            RandomGenerator rng = RandomStreams.of(seed, RandomStreams.SPLIT, c);
            for (int i = count - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                members.set(j, members.set(i, members.get(j)));
            }
            for (int i = 0; i < take; i++) {
                val[members.get(i)] = true;
            }
        }
        int valCount = 0;
        for (boolean v : val) {
            valCount += v ? 1 : 0;
        }
        int[] trainIndices = new int[data.size() - valCount];
        int[] valIndices = new int[valCount];
        int t = 0;
        int v = 0;
        for (int i = 0; i < val.length; i++) {
            if (val[i]) {
                valIndices[v++] = i;
            } else {
                trainIndices[t++] = i;
            }
        }
        return new Split(data.subset(trainIndices), data.subset(valIndices));
    }
}
