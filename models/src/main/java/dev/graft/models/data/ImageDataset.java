package dev.graft.models.data;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;

/**
 * Labelled images; {@code classes.get(label)} names a sample's class. Immutable (both lists are copied). Files
 * are not opened here.
 */
public record ImageDataset(List<String> classes, List<Sample> samples) {
    public ImageDataset {
        classes = List.copyOf(classes);
        samples = List.copyOf(samples);
        if (classes.isEmpty() || new HashSet<>(classes).size() != classes.size()) {
            throw new IllegalArgumentException("dataset: need at least one class and distinct class names, got "
                    + classes);
        }
        for (Sample s : samples) {
            if (s.label() >= classes.size()) {
                throw new IllegalArgumentException("dataset: " + s.path() + " has label " + s.label() + ", but there "
                        + (classes.size() == 1 ? "is 1 class" : "are " + classes.size() + " classes"));
            }
        }
    }

    public int size() {
        return samples.size();
    }

    /** Number of samples of each label. */
    public int[] classCounts() {
        int[] counts = new int[classes.size()];
        for (Sample s : samples) {
            counts[s.label()]++;
        }
        return counts;
    }

    /** The samples at {@code indices}, in that order (repeats allowed), with the same classes. */
    public ImageDataset subset(int[] indices) {
        Sample[] picked = new Sample[indices.length];
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= samples.size()) {
                throw new IllegalArgumentException("dataset subset: index " + indices[i] + " at position " + i
                        + " is outside 0.." + (samples.size() - 1));
            }
            picked[i] = samples.get(indices[i]);
        }
        return new ImageDataset(classes, Arrays.asList(picked));
    }
}
