package dev.graft.models.bundle;

import dev.graft.models.ModelRegistry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which registered architectures a file's tensors fit, whatever its class count and input channels: the names
 * a "does not fit" message suggests instead of the requested one.
 *
 * <p>Building a network to compare its state dict takes seconds and hundreds of megabytes each (about 10 s and
 * 1 GB of initialised weights for all twelve), too much for an error message, so each architecture is known by
 * the fingerprint of its layout: a hash of its state-dict keys and shapes with the class count, the input
 * channels and the optional BatchNorm counters left out. {@code ArchitectureFitTest} checks every entry below
 * against PyTorch's key list of the architecture or the network graft builds.
 */
final class ArchitectureFit {
    /** Layout fingerprints by architecture; an architecture missing here is never suggested. */
    static final Map<String, String> FINGERPRINTS = Map.ofEntries(
            Map.entry("resnet18", "a979c9daac42ff40"),
            Map.entry("resnet34", "c006eb7020063865"),
            Map.entry("resnet50", "477a5f6592e3dfc2"),
            Map.entry("resnet101", "db1f6e76b40b4c53"),
            Map.entry("resnet152", "d1a543e60c029800"),
            Map.entry("resnext50_32x4d", "f65caf8fc44c18f0"),
            Map.entry("wide_resnet50_2", "51c3691b4c4990c2"),
            Map.entry("cifar_resnet20", "7953bbf557a1673d"),
            Map.entry("cifar_resnet32", "08371341d0120d14"),
            Map.entry("cifar_resnet44", "e405feb5e71dc233"),
            Map.entry("cifar_resnet56", "4e4ee29b6b7b8465"),
            Map.entry("cifar_resnet110", "e66a3ab523605b78"));

    private static final String OPTIONAL_SUFFIX = ".num_batches_tracked";
    /** Both ResNet families name their first convolution conv1; dimension 1 of its weight is the input channels. */
    private static final String STEM_WEIGHT = "conv1.weight";
    private static final int HEX_DIGITS = 16;

    private ArchitectureFit() {
    }

    /** The registered architectures, in registry order, whose layout {@code shapes} (key → shape) has. */
    static List<String> fitting(Map<String, int[]> shapes) {
        String fingerprint = fingerprint(shapes);
        return ModelRegistry.names().stream().filter(name -> fingerprint.equals(FINGERPRINTS.get(name))).toList();
    }

    /**
     * The hash of a layout with what varies between files of one architecture left out: the counters, which old
     * checkpoints lack; the rows of the classifier (the one matrix) and of its bias; the stem's input channels.
     */
    static String fingerprint(Map<String, int[]> shapes) {
        Set<String> classifiers = new HashSet<>();
        shapes.forEach((key, shape) -> {
            if (shape.length == 2 && key.endsWith(".weight")) {
                classifiers.add(key.substring(0, key.length() - ".weight".length()));
            }
        });
        List<String> lines = new ArrayList<>();
        shapes.forEach((key, shape) -> {
            if (key.endsWith(OPTIONAL_SUFFIX)) {
                return;
            }
            String[] dims = Arrays.stream(shape).mapToObj(Integer::toString).toArray(String[]::new);
            String layer = key.contains(".") ? key.substring(0, key.lastIndexOf('.')) : "";
            if (classifiers.contains(layer) && dims.length >= 1) {
                dims[0] = "*";
            } else if (key.equals(STEM_WEIGHT) && dims.length == 4) {
                dims[1] = "*";
            }
            lines.add(key + " " + String.join(",", dims));
        });
        lines.sort(null);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(lines.stream().collect(Collectors.joining("\n")).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, HEX_DIGITS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
