package dev.graft.engine.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.graft.engine.Tensor;
import dev.graft.engine.io.AtomicFile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes graft tensors as a safetensors file. Tensors go out in map order with their own dtype (F32, F64,
 * I64), the metadata first in the header as the reference implementation does, and the header padded with
 * spaces to a multiple of 8 bytes so that the data area stays 8-byte aligned.
 */
public final class SafetensorsWriter {
    private static final JsonFactory JSON = new JsonFactory();

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code tensors} and {@code metadata} (may be null or empty) to {@code path}, replacing any existing
     * file atomically: the data goes to a temporary file in the same directory, is forced to disk, then moved
     * over the target. On any failure the temporary file is deleted and an existing target is untouched.
     *
     * @throws IllegalArgumentException if a key is empty, {@code __metadata__}, or not encodable as UTF-8, or
     *                                  a tensor or metadata entry is null
     * @throws IOException              if writing or moving fails
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(tensors, "tensors");
        Map<String, String> meta = metadata == null ? Map.of() : metadata;
        List<Map.Entry<String, Tensor>> entries = new ArrayList<>(tensors.size());
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String key = e.getKey();
            if (key == null || key.isEmpty() || key.equals(SafetensorsHeader.METADATA_KEY) || !encodable(key)) {
                throw new IllegalArgumentException(path + ": invalid tensor key " + (key == null ? "null"
                        : SafetensorsHeader.quote(key)) + " (keys must be non-empty UTF-8 text other than "
                        + SafetensorsHeader.METADATA_KEY + ")");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException(path + ": tensor " + SafetensorsHeader.quote(key) + " is null");
            }
            entries.add(Map.entry(key, e.getValue()));
        }
        for (Map.Entry<String, String> e : meta.entrySet()) {
            if (e.getKey() == null || e.getValue() == null || !encodable(e.getKey()) || !encodable(e.getValue())) {
                throw new IllegalArgumentException(path + ": invalid metadata entry " + (e.getKey() == null ? "null"
                        : SafetensorsHeader.quote(e.getKey())) + " (keys and values must be non-null UTF-8 text)");
            }
        }
        byte[] header = header(entries, meta);
        AtomicFile.replace(path, channel -> {
            AtomicFile.writeFully(channel, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(0, header.length));
            AtomicFile.writeFully(channel, ByteBuffer.wrap(header));
            for (Map.Entry<String, Tensor> e : entries) {
                AtomicFile.writeLittleEndian(channel, e.getValue());
            }
        });
    }

    /** False for strings with unpaired surrogates, which UTF-8 cannot represent. */
    private static boolean encodable(String s) {
        return StandardCharsets.UTF_8.newEncoder().canEncode(s);
    }

    private static byte[] header(List<Map.Entry<String, Tensor>> entries, Map<String, String> metadata)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(SafetensorsHeader.METADATA_KEY);
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (Map.Entry<String, Tensor> e : entries) {
                Tensor t = e.getValue();
                long bytes = (long) t.numel() * t.dtype().byteSize();
                g.writeObjectFieldStart(e.getKey());
                g.writeStringField("dtype", t.dtype().name()); // graft's F32/F64/I64 are the safetensors names
                g.writeArrayFieldStart("shape");
                for (int d : t.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + bytes);
                g.writeEndArray();
                g.writeEndObject();
                offset += bytes;
            }
            g.writeEndObject();
        }
        while (out.size() % 8 != 0) {
            out.write(' ');
        }
        return out.toByteArray();
    }
}
