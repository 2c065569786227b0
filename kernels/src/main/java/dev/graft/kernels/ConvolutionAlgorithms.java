package dev.graft.kernels;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The cuDNN algorithm chosen for each convolution shape, with the workspace it needs. Searching
 * (cudnnFind...) runs every candidate algorithm and costs far more than a convolution, so it runs once per
 * {@link ConvolutionKey} and the answer is reused; a ResNet has a few dozen distinct shapes.
 */
public final class ConvolutionAlgorithms {

    /** @param algorithm the cuDNN enumeration value for the key's direction */
    public record Choice(int algorithm, long workspaceBytes) {

        public Choice {
            if (algorithm < 0 || workspaceBytes < 0) {
                throw new IllegalArgumentException("algorithm choice: algorithm " + algorithm + ", workspace "
                        + workspaceBytes + " bytes");
            }
        }
    }

    private final Map<ConvolutionKey, Choice> choices = new HashMap<>();

    /** The cached choice for {@code key}, searching with {@code search} the first time the key is seen. */
    public synchronized Choice choose(ConvolutionKey key, Function<ConvolutionKey, Choice> search) {
        Choice choice = choices.get(key);
        if (choice == null) {
            choice = search.apply(key);
            choices.put(key, choice);
        }
        return choice;
    }

    /** The largest workspace any cached choice needs: a size that serves every known shape. */
    public synchronized long largestWorkspace() {
        return choices.values().stream().mapToLong(Choice::workspaceBytes).max().orElse(0);
    }

    public synchronized int size() {
        return choices.size();
    }
}
