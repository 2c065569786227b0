package dev.graft.models.bundle;

import dev.graft.models.ModelRegistry;
import dev.graft.models.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bundle metadata map: what is written, and every way a read can refuse it, naming the key. */
class BundleMetadataTest {
    private static final Path FILE = Path.of("model.safetensors");
    private static final BundleMetadata IMAGENET = new BundleMetadata("resnet50", 2, List.of("ants", "bees"),
            ModelRegistry.get("resnet50").preprocessing(), "0f".repeat(32), "resnet50.pth", "0.1.0");

    @Test
    void mapHasTheDocumentedKeysAndReadsBack() throws Exception {
        Map<String, String> map = IMAGENET.toMap();
        assertEquals(List.of("format", "format_version", "arch", "num_classes", "class_names", "preprocessing",
                "source_sha256", "source_file", "graft_version"), List.copyOf(map.keySet()));
        assertEquals("graft-bundle", map.get("format"));
        assertEquals("1", map.get("format_version"));
        assertEquals("2", map.get("num_classes"));
        assertEquals("[\"ants\",\"bees\"]", map.get("class_names"));
        assertEquals("{\"input_size\":224,\"resize_size\":256,\"interpolation\":\"bilinear\","
                + "\"mean\":[0.485,0.456,0.406],\"std\":[0.229,0.224,0.225]}", map.get("preprocessing"));
        assertEquals(IMAGENET, BundleMetadata.fromMap(FILE, map));
    }

    @Test
    void optionalEntriesMayBeAbsent() throws Exception {
        Preprocessing cifar = ModelRegistry.get("cifar_resnet20").preprocessing();
        BundleMetadata bare = new BundleMetadata("cifar_resnet20", 10, null, cifar, null, null, null);
        Map<String, String> map = bare.toMap();
        assertEquals(List.of("format", "format_version", "arch", "num_classes", "preprocessing"),
                List.copyOf(map.keySet()));
        assertTrue(map.get("preprocessing").contains("\"resize_size\":null"), map.get("preprocessing"));
        assertEquals(bare, BundleMetadata.fromMap(FILE, map));
        assertEquals(List.of(), bare.classNames());
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', textBlock = """
            format         | safetensors                  | 'format' is 'safetensors': expected 'graft-bundle'
            format_version | 2                            | 'format_version' is '2': this graft reads version 1
            arch           | resnet19                     | 'arch' is 'resnet19': not a known architecture
            num_classes    | two                          | 'num_classes' is 'two': expected a positive integer
            num_classes    | 0                            | 'num_classes' is '0': expected a positive integer
            class_names    | ["ants", "bees"             | 'class_names' is '["ants", "bees"': not valid JSON
            class_names    | ["ants", 2]                  | '["ants", 2]': expected a JSON array of strings
            class_names    | ["ants"]                     | 'class_names' is '["ants"]': 1 class names for 2 classes
            class_names    | ["ants", "ants"]             | class name 'ants' appears twice
            preprocessing  | {"input_size": 224}          | '{"input_size": 224}': field 'resize_size' is missing
            preprocessing  | []                           | 'preprocessing' is '[]': expected a JSON object
            preprocessing  | {} {}                        | 'preprocessing' is '{} {}': not valid JSON
            """)
    void invalidValuesAreNamed(String key, String value, String expected) {
        Map<String, String> map = new LinkedHashMap<>(IMAGENET.toMap());
        map.put(key, value);
        WeightsException e = assertThrows(WeightsException.class, () -> BundleMetadata.fromMap(FILE, map));
        assertTrue(e.getMessage().startsWith(FILE + ": bundle metadata "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void invalidPreprocessingFieldsAreNamed() {
        String good = IMAGENET.toMap().get("preprocessing");
        assertPreprocessingError(good.replace("\"bilinear\"", "\"nearest\""), "field 'interpolation'");
        assertPreprocessingError(good.replace("[0.229,0.224,0.225]", "[0.229,0.224]"), "one mean and one positive std");
        assertPreprocessingError(good.replace("\"input_size\":224", "\"input_size\":\"224\""),
                "field 'input_size' must be an integer");
        assertPreprocessingError(good.replace("[0.485,0.456,0.406]", "[0.485,\"x\",0.406]"), "field 'mean'");
    }

    private static void assertPreprocessingError(String json, String expected) {
        Map<String, String> map = new LinkedHashMap<>(IMAGENET.toMap());
        map.put("preprocessing", json);
        WeightsException e = assertThrows(WeightsException.class, () -> BundleMetadata.fromMap(FILE, map));
        assertTrue(e.getMessage().contains("'preprocessing'") && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void missingKeysAreNamed() {
        for (String key : List.of("format", "format_version", "arch", "num_classes", "preprocessing")) {
            Map<String, String> map = new LinkedHashMap<>(IMAGENET.toMap());
            map.remove(key);
            WeightsException e = assertThrows(WeightsException.class, () -> BundleMetadata.fromMap(FILE, map));
            assertEquals(FILE + ": bundle metadata lacks key '" + key + "'", e.getMessage());
        }
    }

    @Test
    void constructorChecksClassNames() {
        Preprocessing p = IMAGENET.preprocessing();
        assertThrows(IllegalArgumentException.class,
                () -> new BundleMetadata("resnet50", 3, List.of("a", "b"), p, null, null, null));
        assertThrows(IllegalArgumentException.class,
                () -> new BundleMetadata("resnet50", 2, List.of("a", " "), p, null, null, null));
        assertThrows(IllegalArgumentException.class,
                () -> new BundleMetadata("resnet50", 0, null, p, null, null, null));
    }
}
