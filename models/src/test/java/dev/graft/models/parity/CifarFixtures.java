package dev.graft.models.parity;

import dev.graft.engine.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader for {@code fixtures/cifar/} on the test classpath, written by
 * {@code models/src/test/fixtures/make_cifar_parity_fixtures.py}; that script's docstring defines the format.
 * Paths are relative to the assets folder.
 */
final class CifarFixtures {
    /** A checkpoint the references were computed with. */
    record Checkpoint(String path, String sha256) {
    }

    /** A PIL-decoded, normalised input image [3, 32, 32]. */
    record Input(String path, int label, Tensor tensor) {
    }

    /** PyTorch's resnet20 verdict on one test image; {@code crc32} is of PIL's RGB bytes (row-major HWC). */
    record Prediction(String path, int label, int predicted, double margin, long crc32) {
    }

    final Map<String, Checkpoint> checkpoints = new LinkedHashMap<>();
    final List<Input> inputs = new ArrayList<>();
    final Map<String, Tensor> logits = new LinkedHashMap<>();

    private CifarFixtures() {
    }

    static CifarFixtures load() {
        CifarFixtures f = new CifarFixtures();
        ByteBuffer data = ByteBuffer.wrap(resource("tensors.bin")).order(ByteOrder.LITTLE_ENDIAN);
        List<String[]> records = records("index.txt");
        for (String[] r : records) {
            switch (r[0]) {
                case "checkpoint" -> f.checkpoints.put(r[1], new Checkpoint(r[2], r[3]));
                case "input" -> f.inputs.add(new Input(r[1], Integer.parseInt(r[2]), tensor(data, r[3], r[4])));
                case "logits" -> f.logits.put(r[1], tensor(data, r[2], r[3]));
                default -> throw new IllegalStateException("cifar/index.txt: unknown record " + String.join(" ", r));
            }
        }
        return f;
    }

    static List<Prediction> predictions() {
        return records("top1_resnet20.txt").stream()
                .map(r -> new Prediction(r[0], Integer.parseInt(r[1]), Integer.parseInt(r[2]),
                        Double.parseDouble(r[3]), Long.parseLong(r[4], 16)))
                .toList();
    }

    private static Tensor tensor(ByteBuffer data, String shapeText, String offsetText) {
        int[] shape = Arrays.stream(shapeText.substring(1, shapeText.length() - 1).split(","))
                .mapToInt(Integer::parseInt).toArray();
        int offset = Integer.parseInt(offsetText);
        int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        if (offset + 4L * n > data.capacity()) {
            throw new IllegalStateException("cifar/tensors.bin is shorter than index.txt says; regenerate both");
        }
        float[] v = new float[n];
        data.slice(offset, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return Tensor.of(v, shape);
    }

    private static List<String[]> records(String file) {
        return new String(resource(file), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.isBlank() && !l.startsWith("#"))
                .map(l -> l.split(" "))
                .toList();
    }

    private static byte[] resource(String file) {
        try (InputStream in = CifarFixtures.class.getResourceAsStream("/fixtures/cifar/" + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /fixtures/cifar/" + file
                        + "; run models/src/test/fixtures/make_cifar_parity_fixtures.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
