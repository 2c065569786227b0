package dev.graft.models.data;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** The dataset indices an epoch visits, position by position. */
final class Sampler {
    private Sampler() {
    }

    static int[] order(ImageDataset data, SamplerKind kind, long seed, int epoch) {
        int n = data.size();
        int[] order = new int[n];
        RandomGenerator rng = RandomStreams.of(seed, RandomStreams.ORDER, epoch);
        switch (kind) {
            case SEQUENTIAL -> {
                for (int i = 0; i < n; i++) {
                    order[i] = i;
                }
            }
            case SHUFFLE -> {
                for (int i = 0; i < n; i++) {
                    order[i] = i;
                }
                for (int i = n - 1; i > 0; i--) {
                    int j = rng.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
            }
            case BALANCED -> {
                // P(sample) ∝ 1 / count(its class) makes every non-empty class equally likely, and the samples
                // within a class equally likely: draw the class uniformly, then a member uniformly.
                List<int[]> members = members(data);
                for (int i = 0; i < n; i++) {
                    int[] inClass = members.get(rng.nextInt(members.size()));
                    order[i] = inClass[rng.nextInt(inClass.length)];
                }
            }
        }
        return order;
    }

    /** The indices of each class that has samples, in dataset order. */
    private static List<int[]> members(ImageDataset data) {
        int[] counts = data.classCounts();
        int[][] byLabel = new int[counts.length][];
        int[] filled = new int[counts.length];
        for (int c = 0; c < counts.length; c++) {
            byLabel[c] = new int[counts[c]];
        }
        for (int i = 0; i < data.size(); i++) {
            int label = data.samples().get(i).label();
            byLabel[label][filled[label]++] = i;
        }
        List<int[]> members = new ArrayList<>();
        for (int[] m : byLabel) {
            if (m.length > 0) {
                members.add(m);
            }
        }
        return members;
    }
}
