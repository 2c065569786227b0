package dev.graft.weights;

import dev.graft.engine.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The tensors of a PyTorch checkpoint written by {@code torch.save}, in the zip format (PyTorch ≥ 1.6) or the
 * legacy one. The pickled object must be a dict: either a state dict, or a checkpoint dict holding one under
 * {@code 'state_dict'} or {@code 'model'} (nested wrappers are unwrapped). A {@code module.} prefix on every
 * key, left by DataParallel, is stripped. Scalars beside the state dict (epoch, best accuracy, architecture
 * name) are kept as extras; other non-tensor values, such as optimizer state, are dropped.
 *
 * <p>Tensors come back contiguous, in the file's order: F32, F64 and I64 as stored, F16 and BF16 widened to F32,
 * and 32/16/8-bit integers, uint8 and bool widened to I64. Reading is weights-only (see the package docs).
 */
public final class PytorchCheckpoint {
    private static final int READ_CHUNK_BYTES = 1 << 20;

    /** Which serialization a file used. */
    public enum Format { ZIP, LEGACY }

    private static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    private final Format format;
    private final Map<String, Tensor> tensors;
    private final Map<String, Object> extras;

    private PytorchCheckpoint(Format format, Map<String, Tensor> tensors, Map<String, Object> extras) {
        this.format = format;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.extras = Collections.unmodifiableMap(extras);
    }

    /** Reads a checkpoint file (up to 2 GiB). */
    public static PytorchCheckpoint read(Path file) throws IOException, CheckpointFormatException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new CheckpointFormatException(file + ": " + size + " bytes; graft reads checkpoints up to 2 GiB");
        }
        byte[] bytes = new byte[(int) size];
        // Chunked reads: Files.readAllBytes stages the whole file in a temporary native buffer first, which
        // takes ten times as long for a 100 MB checkpoint.
        try (InputStream in = Files.newInputStream(file)) {
            int done = 0;
            while (done < bytes.length) {
                int n = in.readNBytes(bytes, done, Math.min(READ_CHUNK_BYTES, bytes.length - done));
                if (n == 0) {
                    bytes = Arrays.copyOf(bytes, done); // the file shrank since its size was taken
                    break;
                }
                done += n;
            }
        }
        return read(file.toString(), bytes);
    }

    /** Reads a checkpoint from memory; {@code name} labels error messages. */
    public static PytorchCheckpoint read(String name, byte[] bytes) throws CheckpointFormatException {
        Format format = detect(name, bytes);
        PickledCheckpoint pickled = format == Format.ZIP ? ZipFormat.read(name, bytes) : LegacyFormat.read(name, bytes);
        if (!(pickled.root() instanceof Map<?, ?> top)) {
            throw new CheckpointFormatException(name + ": the pickled object is a " + Unpickler.typeName(pickled.root())
                    + ", expected a dict (a state dict or a checkpoint dict holding one)");
        }
        Map<String, Object> extras = new LinkedHashMap<>();
        Map<?, ?> stateDict = unwrap(name, top, extras);
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : stateDict.entrySet()) {
            if (e.getValue() instanceof TensorSpec spec) {
                if (!(e.getKey() instanceof String key)) {
                    throw new CheckpointFormatException(name + ": a tensor is stored under the non-string key "
                            + Unpickler.show(e.getKey()));
                }
                specs.put(key, spec);
            }
        }
        if (specs.isEmpty()) {
            throw new CheckpointFormatException(name + ": no tensors in the state dict (keys " + keys(stateDict) + ")");
        }
        TensorDecoder decoder = new TensorDecoder(name, pickled.storages(), bytes.length);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : DataParallelKeys.strip(specs.keySet()).entrySet()) {
            tensors.put(e.getKey(), decoder.decode(e.getValue(), specs.get(e.getValue())));
        }
        return new PytorchCheckpoint(format, tensors, extras);
    }

    public Format format() {
        return format;
    }

    /** The tensors by (prefix-stripped) key, in the file's order; unmodifiable. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /**
     * Scalar entries of the checkpoint dict and the state dict (say {@code epoch} or {@code best_prec1}), in
     * file order with outer levels first: String, Long, BigInteger (beyond 64 bits), Double or Boolean.
     * Python None values are left out. Unmodifiable.
     */
    public Map<String, Object> extras() {
        return extras;
    }

    private static Format detect(String name, byte[] b) throws CheckpointFormatException {
        if (b.length >= 4 && b[0] == 'P' && b[1] == 'K' && (b[2] == 3 && b[3] == 4 || b[2] == 5 && b[3] == 6)) {
            return Format.ZIP;
        }
        if (b.length >= 2 && (b[0] & 0xff) == 0x80) { // pickle PROTO: the legacy format's magic-number pickle
            return Format.LEGACY;
        }
        if (b.length >= 262 && new String(b, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) {
            throw new CheckpointFormatException(name + ": a tar archive; the tar checkpoints of PyTorch before 0.4"
                    + " are not supported");
        }
        if (b.length == 0) {
            throw new CheckpointFormatException(name + ": not a PyTorch checkpoint: the file is empty");
        }
        StringJoiner head = new StringJoiner(" ");
        for (int i = 0; i < Math.min(8, b.length); i++) {
            head.add(String.format("%02x", b[i] & 0xff));
        }
        throw new CheckpointFormatException(name + ": not a PyTorch checkpoint: starts with bytes " + head
                + " (expected a zip archive or a pickle)");
    }

    /**
     * Descends through {'state_dict': …} and {'model': …} wrappers until a dict holding tensors, collecting
     * the scalars of every level passed (and of the state dict itself) into {@code extras}.
     */
    private static Map<?, ?> unwrap(String name, Map<?, ?> top, Map<String, Object> extras)
            throws CheckpointFormatException {
        Set<Map<?, ?>> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.add(top);
        Map<?, ?> level = top;
        while (true) {
            addScalars(level, extras);
            if (level.values().stream().anyMatch(v -> v instanceof TensorSpec)) {
                return level;
            }
            Object inner = level.get("state_dict") instanceof Map<?, ?> sd ? sd : level.get("model");
            if (!(inner instanceof Map<?, ?> next)) {
                return level;
            }
            if (!seen.add(next)) {
                throw new CheckpointFormatException(name + ": the checkpoint dict contains itself");
            }
            level = next;
        }
    }

    private static void addScalars(Map<?, ?> level, Map<String, Object> extras) {
        for (Map.Entry<?, ?> e : level.entrySet()) {
            Object v = e.getValue();
            boolean scalar = v instanceof String || v instanceof Long || v instanceof BigInteger || v instanceof Double
                    || v instanceof Boolean;
            if (scalar && e.getKey() instanceof String key) {
                extras.putIfAbsent(key, v);
            }
        }
    }

    private static String keys(Map<?, ?> dict) {
        StringJoiner shown = new StringJoiner(", ", "[", "]");
        dict.keySet().stream().limit(10).forEach(k -> shown.add(Unpickler.show(k)));
        return dict.size() > 10 ? shown + " and " + (dict.size() - 10) + " more" : shown.toString();
    }
}
