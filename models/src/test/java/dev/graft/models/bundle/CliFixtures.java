package dev.graft.models.bundle;

import dev.graft.engine.DType;
import dev.graft.engine.Tensor;
import dev.graft.weights.npy.Npy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fixtures under {@code fixtures/cli/} written by {@code models/src/test/fixtures/make_cli_fixtures.py}
 * (its docstring describes them), and checks shared by the bundle and CLI tests.
 */
public final class CliFixtures {
    /** A CIFAR ResNet-20 with 3 classes, saved by torch.save in the zip format. */
    public static final String ZIP = "cifar_resnet20_c3.pth";
    /** The same weights in the legacy format, as a checkpoint dict with module. keys and no counters. */
    public static final String LEGACY = "cifar_resnet20_c3_legacy.pt";
    public static final String INPUT = "input.npy";
    public static final String LOGITS = "logits.npy";
    public static final String ARCH = "cifar_resnet20";
    public static final int CLASSES = 3;

    private CliFixtures() {
    }

    public static Path path(String name) {
        URL url = CliFixtures.class.getResource("/fixtures/cli/" + name);
        if (url == null) {
            throw new IllegalStateException("fixture fixtures/cli/" + name + " is missing; run"
                    + " models/src/test/fixtures/make_cli_fixtures.py");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Tensor read(String name) {
        try {
            return Npy.read(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The parity criterion: max |actual − expected| ≤ 1e-4 · max |expected|. */
    public static void assertLogitsClose(Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape(), actual.shape(), "logits shape");
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        double scale = Arrays.stream(e).map(Math::abs).max().orElse(0);
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - e[i]));
        }
        assertTrue(worst <= 1e-4 * scale, "max |Δ| " + worst + " exceeds 1e-4 · " + scale);
    }

    /**
     * Writes a safetensors file by hand with every floating-point tensor stored as {@code dtype} ("F16" or
     * "BF16", which graft's writer does not produce) and I64 tensors as they are.
     */
    public static void writeHalfSafetensors(Path file, Map<String, Tensor> tensors, String dtype) throws IOException {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        ByteBuffer data = ByteBuffer.allocate(tensors.values().stream().mapToInt(t -> t.numel() * 8).sum())
                .order(ByteOrder.LITTLE_ENDIAN);
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            boolean half = t.dtype() != DType.I64;
            if (half) {
                for (float v : t.toFloatArray()) {
                    data.putShort(dtype.equals("F16") ? Float.floatToFloat16(v)
                            : (short) (Float.floatToRawIntBits(v) >>> 16));
                }
            } else {
                for (long v : t.toLongArray()) {
                    data.putLong(v);
                }
            }
            long end = data.position();
            header.append(header.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":{\"dtype\":\"")
                    .append(half ? dtype : "I64").append("\",\"shape\":").append(Arrays.toString(t.shape()))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        byte[] json = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + data.position()).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(data.array(), 0, data.position());
        Files.write(file, out.array());
    }
}
