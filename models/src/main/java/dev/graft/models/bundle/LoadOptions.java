package dev.graft.models.bundle;

import dev.graft.models.ModelRegistry;

/**
 * How {@link WeightsLoader} turns a file into a network.
 *
 * @param arch            the architecture ({@link ModelRegistry} name) for files that do not record one; null
 *                        to take it from a bundle's metadata. Given for a bundle, it must match the bundle's.
 * @param numClasses      the classifier's size; null to take it from the file (a bundle's metadata, or the
 *                        rows of the checkpoint's classifier weight)
 * @param dropClassifier  when the file's classifier has another size than {@code numClasses}, drop it and
 *                        keep the network's freshly initialised one (seeded, so reproducible) instead of failing
 */
public record LoadOptions(String arch, Integer numClasses, boolean dropClassifier) {

    public LoadOptions {
        if (arch != null) {
            ModelRegistry.get(arch); // fails early, listing the known names
        }
        if (numClasses != null && numClasses < 1) {
            throw new IllegalArgumentException("LoadOptions: numClasses must be >= 1, got " + numClasses);
        }
    }

    /** Everything from the file. */
    public static LoadOptions defaults() {
        return new LoadOptions(null, null, false);
    }

    public LoadOptions withArch(String name) {
        return new LoadOptions(name, numClasses, dropClassifier);
    }

    /** A network of {@code n} classes whose classifier is replaced by a fresh one if the file's differs. */
    public LoadOptions withNewClassifier(int n) {
        return new LoadOptions(arch, n, true);
    }
}
