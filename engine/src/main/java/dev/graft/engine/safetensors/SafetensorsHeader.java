package dev.graft.engine.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.graft.engine.Shape;
import dev.graft.engine.safetensors.SafetensorsFile.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and validates a safetensors JSON header with the reference implementation's rules. The streaming
 * parser keeps memory proportional to the header and needs no recursion, and every value is checked for
 * its expected type as soon as it is read, so deep nesting is rejected at its first level.
 */
final class SafetensorsHeader {
    static final String METADATA_KEY = "__metadata__";
    /** More dimensions than any real tensor has (NumPy allows 64); bounds the work a forged shape causes. */
    static final int MAX_RANK = 64;
    /** Duplicate keys are an error (the spec forbids them) rather than last-one-wins. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** Tensors in data order and the {@code __metadata__} map (empty when absent). */
    record Parsed(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    }

    private final Path file;
    private final long dataLength;

    private SafetensorsHeader(Path file, long dataLength) {
        this.file = file;
        this.dataLength = dataLength;
    }

    /** Parses {@code header}, which describes a data area of {@code dataLength} bytes in {@code file}. */
    static Parsed parse(Path file, byte[] header, long dataLength) throws SafetensorsFormatException {
        SafetensorsHeader h = new SafetensorsHeader(file, dataLength);
        String text = h.decodeUtf8(header);
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw h.error("header is not a JSON object (starts with " + describe(p.currentToken()) + ")");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals(METADATA_KEY)) {
                    metadata = h.metadata(p);
                } else {
                    byName.put(name, h.entry(p, name));
                }
            }
            JsonToken trailing = p.nextToken();
            if (trailing != null) {
                throw h.error("header has " + describe(trailing) + " after its JSON object, at char "
                        + p.currentTokenLocation().getCharOffset());
            }
        } catch (JacksonException e) {
            String at = e.getLocation() == null ? "" : " (at char " + e.getLocation().getCharOffset() + ")";
            throw h.error("header is not valid JSON: " + oneLine(e.getOriginalMessage()) + at, e);
        } catch (IOException | RuntimeException e) {
            throw h.error("header could not be parsed: " + oneLine(String.valueOf(e)), e);
        }
        return new Parsed(h.inDataOrder(byName), metadata);
    }

    /** Strict decoding: Java's decoder rejects overlong forms and encoded surrogates, like Rust's from_utf8. */
    private String decodeUtf8(byte[] bytes) throws SafetensorsFormatException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw error("header is not valid UTF-8 (bad byte sequence at header byte " + in.position() + ")");
        }
        return out.flip().toString();
    }

    private Map<String, String> metadata(JsonParser p) throws IOException, SafetensorsFormatException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw error(METADATA_KEY + " must be an object of strings, found " + describe(p.currentToken()));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken value = p.nextToken();
            if (value != JsonToken.VALUE_STRING) {
                throw error(METADATA_KEY + " entry " + quote(key) + " must be a string, found " + describe(value));
            }
            metadata.put(key, p.getText());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private TensorInfo entry(JsonParser p, String name) throws IOException, SafetensorsFormatException {
        String where = "tensor " + quote(name);
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw error(where + ": expected an object with dtype, shape and data_offsets, found "
                    + describe(p.currentToken()));
        }
        String dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "dtype" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        throw error(where + ": dtype must be a string, found " + describe(value));
                    }
                    dtype = p.getText();
                }
                case "shape" -> shape = naturals(p, where + ": shape", MAX_RANK);
                case "data_offsets" -> offsets = naturals(p, where + ": data_offsets", 2);
                default -> throw error(where + ": unknown field " + quote(field)
                        + " (expected dtype, shape, data_offsets)");
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            throw error(where + ": missing " + (dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets"));
        }
        return validated(where, dtype, shape, offsets);
    }

    /** Checks one entry on its own: dtype, dimensions, and offsets that fit its size and the data area. */
    private TensorInfo validated(String where, String dtype, long[] shape, long[] offsets)
            throws SafetensorsFormatException {
        StoredType type = StoredType.byName(dtype);
        if (type == null) {
            throw error(where + ": unknown dtype " + quote(dtype) + " (known: " + Arrays.toString(StoredType.values())
                    + ")");
        }
        if (offsets.length != 2) {
            throw error(where + ": data_offsets " + Arrays.toString(offsets) + " must be [begin, end]");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw error(where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end > dataLength) {
            throw error(where + ": data_offsets [" + begin + ", " + end + "] reach beyond the data area of "
                    + dataLength + " bytes");
        }
        int[] dims = new int[shape.length];
        long bytes = type.size;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw error(where + ": shape " + Arrays.toString(shape) + " has dimension " + shape[i]
                        + ", above graft's limit of " + Integer.MAX_VALUE);
            }
            dims[i] = (int) shape[i];
            // Saturates at Long.MAX_VALUE instead of overflowing; a later zero dimension still yields 0.
            bytes = shape[i] == 0 ? 0 : bytes > Long.MAX_VALUE / shape[i] ? Long.MAX_VALUE : bytes * shape[i];
        }
        if (bytes != end - begin) {
            throw error(where + ": data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes but "
                    + dtype + " shape " + Shape.format(dims) + " needs "
                    + (bytes == Long.MAX_VALUE ? "more than " + Long.MAX_VALUE : String.valueOf(bytes)));
        }
        return new TensorInfo(dtype, dims, begin, end);
    }

    /** Tensors sorted by offset, which must tile the data area exactly: no overlap, no gap, no slack. */
    private Map<String, TensorInfo> inDataOrder(Map<String, TensorInfo> byName) throws SafetensorsFormatException {
        List<Map.Entry<String, TensorInfo>> sorted = new ArrayList<>(byName.entrySet());
        sorted.sort(Comparator.comparingLong((Map.Entry<String, TensorInfo> e) -> e.getValue().begin())
                .thenComparingLong(e -> e.getValue().end()));
        Map<String, TensorInfo> ordered = new LinkedHashMap<>();
        long covered = 0;
        String previous = null;
        for (Map.Entry<String, TensorInfo> e : sorted) {
            TensorInfo t = e.getValue();
            if (t.begin() != covered) {
                String range = "tensor " + quote(e.getKey()) + " data_offsets [" + t.begin() + ", " + t.end() + "]";
                if (previous == null) {
                    throw error(range + " leave the first " + t.begin() + " bytes of the data area unused");
                }
                throw error(range + (t.begin() < covered ? " overlap" : " leave a gap after") + " tensor "
                        + quote(previous) + ", which ends at " + covered);
            }
            covered = t.end();
            previous = e.getKey();
            ordered.put(e.getKey(), t);
        }
        if (covered != dataLength) {
            throw error("tensors cover " + covered + " bytes but the data area holds " + dataLength + " ("
                    + (dataLength - covered) + " bytes unaccounted for)");
        }
        return Collections.unmodifiableMap(ordered);
    }

    /** An array of at most {@code maxLength} non-negative JSON integers (shape or data_offsets). */
    private long[] naturals(JsonParser p, String where, int maxLength) throws IOException, SafetensorsFormatException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw error(where + " must be an array of non-negative integers, found " + describe(p.currentToken()));
        }
        long[] values = new long[maxLength];
        int n = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw error(where + " must hold non-negative integers, found " + describe(t) + " "
                        + quote(p.getText()));
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0) {
                throw error(where + " holds " + quote(p.getText()) + ", not a non-negative 64-bit integer");
            }
            if (n == maxLength) {
                throw error(where + " has more than " + maxLength + " entries");
            }
            values[n++] = p.getLongValue();
        }
        return Arrays.copyOf(values, n);
    }

    private SafetensorsFormatException error(String detail) {
        return new SafetensorsFormatException(file + ": " + detail);
    }

    private SafetensorsFormatException error(String detail, Throwable cause) {
        return new SafetensorsFormatException(file + ": " + detail, cause);
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "nothing";
        }
        return switch (t) {
            case START_OBJECT, END_OBJECT -> "an object";
            case START_ARRAY, END_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.name();
        };
    }

    /** Quotes text taken from a file for an error message: shortened, control characters escaped. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        int n = Math.min(s.length(), 80);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append(s.length() > n ? "'..." : "'").toString();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").strip();
    }
}
