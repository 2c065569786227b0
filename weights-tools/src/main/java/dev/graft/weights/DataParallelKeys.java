package dev.graft.weights;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The key convention of checkpoints saved from {@code torch.nn.DataParallel}: every key carries a
 * {@code module.} prefix, which goes when (and only when) all keys have it, as PyTorch's own loaders do.
 */
public final class DataParallelKeys {
    private static final String PREFIX = "module.";

    private DataParallelKeys() {
    }

    /** Model key → stored key, in the order given. */
    public static Map<String, String> strip(Collection<String> stored) {
        boolean strip = !stored.isEmpty() && stored.stream().allMatch(k -> k.startsWith(PREFIX));
        Map<String, String> keys = new LinkedHashMap<>();
        stored.forEach(k -> keys.put(strip ? k.substring(PREFIX.length()) : k, k));
        return keys;
    }
}
