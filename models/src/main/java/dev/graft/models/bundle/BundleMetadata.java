package dev.graft.models.bundle;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.ModelRegistry;
import dev.graft.models.Preprocessing;
import dev.graft.models.resnet.HeadSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What a graft bundle says about its weights, stored as the string map {@code __metadata__} of its safetensors
 * header: {@code format} ("graft-bundle"), {@code format_version} ("1"), {@code arch}, {@code num_classes},
 * {@code class_names} (a JSON array, absent when the classes are unnamed), {@code preprocessing} (a JSON object,
 * see {@link #toMap}), {@code head} (a JSON object {@code {"hidden": H, "dropout": P}}, absent for torchvision's
 * single Linear) and the provenance {@code source_sha256}, {@code source_file} and {@code graft_version}.
 *
 * @param classNames    one per class in output order, or empty when the classes are unnamed
 * @param sourceSha256  hex SHA-256 of the checkpoint the weights were converted from; null when unknown
 * @param sourceFile    that checkpoint's file name; null when unknown
 * @param graftVersion  the graft version that wrote the bundle; null when unknown
 * @param head          the classifier head's shape
 */
public record BundleMetadata(String arch, int numClasses, List<String> classNames, Preprocessing preprocessing,
                             String sourceSha256, String sourceFile, String graftVersion, HeadSpec head) {

    public static final String FORMAT = "graft-bundle";
    public static final String FORMAT_VERSION = "1";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public BundleMetadata {
        if (arch == null || preprocessing == null || numClasses < 1) {
            throw new IllegalArgumentException("BundleMetadata: need an arch, preprocessing and numClasses >= 1, got "
                    + arch + ", " + preprocessing + " and " + numClasses);
        }
        classNames = classNames == null ? List.of() : List.copyOf(classNames);
        checkClassNames(classNames, numClasses);
        head = head == null ? HeadSpec.LINEAR : head;
    }

    /** Metadata of a network with torchvision's single-Linear head. */
    public BundleMetadata(String arch, int numClasses, List<String> classNames, Preprocessing preprocessing,
                          String sourceSha256, String sourceFile, String graftVersion) {
        this(arch, numClasses, classNames, preprocessing, sourceSha256, sourceFile, graftVersion, HeadSpec.LINEAR);
    }

    /**
     * Checks that {@code names} is empty or holds {@code numClasses} distinct non-blank names.
     *
     * @throws IllegalArgumentException naming the problem
     */
    public static void checkClassNames(List<String> names, int numClasses) {
        if (names.isEmpty()) {
            return;
        }
        if (names.size() != numClasses) {
            throw new IllegalArgumentException(names.size() + " class names for " + numClasses + " classes: " + names);
        }
        var seen = new HashSet<String>();
        for (String name : names) {
            if (name.isBlank()) {
                throw new IllegalArgumentException("class names must not be blank: " + names);
            }
            if (!seen.add(name)) {
                throw new IllegalArgumentException("class name '" + name + "' appears twice in " + names);
            }
        }
    }

    /** Whether a safetensors header's metadata marks the file as a graft bundle. */
    public static boolean isBundle(Map<String, String> safetensorsMetadata) {
        return FORMAT.equals(safetensorsMetadata.get("format"));
    }

    /**
     * The {@code __metadata__} map. {@code preprocessing} is
     * {@code {"input_size": 224, "resize_size": 256, "interpolation": "bilinear", "mean": [...], "std": [...]}},
     * with {@code resize_size} null when images keep their size.
     */
    public Map<String, String> toMap() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("format", FORMAT);
        map.put("format_version", FORMAT_VERSION);
        map.put("arch", arch);
        map.put("num_classes", Integer.toString(numClasses));
        if (!classNames.isEmpty()) {
            ArrayNode names = JSON.createArrayNode();
            classNames.forEach(names::add);
            map.put("class_names", names.toString());
        }
        map.put("preprocessing", preprocessingJson(preprocessing).toString());
        if (!head.isLinear()) {
            map.put("head", JSON.createObjectNode().put("hidden", head.hidden()).put("dropout", head.dropout())
                    .toString());
        }
        putIfKnown(map, "source_sha256", sourceSha256);
        putIfKnown(map, "source_file", sourceFile);
        putIfKnown(map, "graft_version", graftVersion);
        return map;
    }

    private static void putIfKnown(Map<String, String> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    private static ObjectNode preprocessingJson(Preprocessing p) {
        ObjectNode node = JSON.createObjectNode();
        node.put("input_size", p.inputSize());
        if (p.resizeSize().isPresent()) {
            node.put("resize_size", p.resizeSize().getAsInt());
        } else {
            node.putNull("resize_size");
        }
        node.put("interpolation", p.interpolation().name().toLowerCase(Locale.ROOT));
        p.mean().forEach(node.putArray("mean")::add);
        p.std().forEach(node.putArray("std")::add);
        return node;
    }

    /**
     * Reads and validates the metadata of bundle {@code file}.
     *
     * @throws WeightsException naming the file and the first missing or invalid key
     */
    public static BundleMetadata fromMap(Path file, Map<String, String> map) throws WeightsException {
        Reader r = new Reader(file, map);
        String format = r.required("format");
        if (!format.equals(FORMAT)) {
            throw r.invalid("format", "expected '" + FORMAT + "'");
        }
        if (!r.required("format_version").equals(FORMAT_VERSION)) {
            throw r.invalid("format_version", "this graft reads version " + FORMAT_VERSION);
        }
        String arch = r.required("arch");
        if (!ModelRegistry.names().contains(arch)) {
            throw r.invalid("arch", "not a known architecture (known: " + String.join(", ", ModelRegistry.names())
                    + ")");
        }
        int numClasses = r.positiveInt("num_classes");
        List<String> classNames = r.classNames(numClasses);
        Preprocessing preprocessing = r.preprocessing();
        return new BundleMetadata(arch, numClasses, classNames, preprocessing, map.get("source_sha256"),
                map.get("source_file"), map.get("graft_version"), r.head());
    }

    /** Validating accessors over a metadata map; every error names the file and the key. */
    private record Reader(Path file, Map<String, String> map) {

        String required(String key) throws WeightsException {
            String value = map.get(key);
            if (value == null) {
                throw new WeightsException(file + ": bundle metadata lacks key '" + key + "'");
            }
            return value;
        }

        WeightsException invalid(String key, String problem) {
            String value = map.get(key);
            String shown = value.length() > 80 ? value.substring(0, 80) + "..." : value;
            return new WeightsException(file + ": bundle metadata '" + key + "' is '" + shown + "': " + problem);
        }

        int positiveInt(String key) throws WeightsException {
            String value = required(key);
            int n;
            try {
                n = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                n = 0;
            }
            if (n < 1) {
                throw invalid(key, "expected a positive integer");
            }
            return n;
        }

        JsonNode json(String key) throws WeightsException {
            try {
                return JSON.readTree(required(key));
            } catch (JacksonException e) {
                throw invalid(key, "not valid JSON (" + e.getOriginalMessage().lines().findFirst().orElse("") + ")");
            }
        }

        List<String> classNames(int numClasses) throws WeightsException {
            if (!map.containsKey("class_names")) {
                return List.of();
            }
            JsonNode node = json("class_names");
            if (!node.isArray()) {
                throw invalid("class_names", "expected a JSON array of strings");
            }
            List<String> names = new ArrayList<>();
            for (JsonNode n : node) {
                if (!n.isTextual()) {
                    throw invalid("class_names", "expected a JSON array of strings");
                }
                names.add(n.textValue());
            }
            try {
                checkClassNames(names, numClasses);
            } catch (IllegalArgumentException e) {
                throw invalid("class_names", e.getMessage());
            }
            return names;
        }

        HeadSpec head() throws WeightsException {
            if (!map.containsKey("head")) {
                return HeadSpec.LINEAR;
            }
            JsonNode node = json("head");
            if (!node.isObject()) {
                throw invalid("head", "expected a JSON object");
            }
            try {
                JsonNode dropout = field(node, "dropout");
                if (!dropout.isNumber()) {
                    throw new IllegalArgumentException("field 'dropout' must be a number, got " + dropout);
                }
                return new HeadSpec(integer(node, "hidden"), dropout.doubleValue());
            } catch (IllegalArgumentException e) {
                throw invalid("head", e.getMessage());
            }
        }

        Preprocessing preprocessing() throws WeightsException {
            JsonNode node = json("preprocessing");
            if (!node.isObject()) {
                throw invalid("preprocessing", "expected a JSON object");
            }
            try {
                JsonNode resize = field(node, "resize_size");
                return new Preprocessing(integer(node, "input_size"),
                        resize.isNull() ? OptionalInt.empty() : OptionalInt.of(integer(node, "resize_size")),
                        interpolation(field(node, "interpolation")), numbers(node, "mean"), numbers(node, "std"));
            } catch (IllegalArgumentException e) {
                throw invalid("preprocessing", e.getMessage());
            }
        }

        private static JsonNode field(JsonNode node, String name) {
            JsonNode value = node.get(name);
            if (value == null) {
                throw new IllegalArgumentException("field '" + name + "' is missing");
            }
            return value;
        }

        private static int integer(JsonNode node, String name) {
            JsonNode value = field(node, name);
            if (!value.canConvertToInt() || !value.isIntegralNumber()) {
                throw new IllegalArgumentException("field '" + name + "' must be an integer, got " + value);
            }
            return value.intValue();
        }

        private static Preprocessing.Interpolation interpolation(JsonNode value) {
            for (Preprocessing.Interpolation i : Preprocessing.Interpolation.values()) {
                if (value.isTextual() && i.name().equalsIgnoreCase(value.textValue())) {
                    return i;
                }
            }
            throw new IllegalArgumentException("field 'interpolation' must be one of " + Arrays.stream(
                    Preprocessing.Interpolation.values()).map(i -> i.name().toLowerCase(Locale.ROOT)).toList()
                    + ", got " + value);
        }

        private static List<Double> numbers(JsonNode node, String name) {
            JsonNode value = field(node, name);
            if (!value.isArray() || !value.valueStream().allMatch(JsonNode::isNumber)) {
                throw new IllegalArgumentException("field '" + name + "' must be an array of numbers, got " + value);
            }
            return value.valueStream().map(JsonNode::doubleValue).toList();
        }
    }
}
