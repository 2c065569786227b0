package dev.graft.models.data;

import java.nio.file.Path;

/** One labelled image file; {@code label} indexes its dataset's classes. */
public record Sample(Path path, int label) {
    public Sample {
        if (path == null || label < 0) {
            throw new IllegalArgumentException("sample: need a path and a label >= 0, got " + path + " and " + label);
        }
    }
}
