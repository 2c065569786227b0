package dev.graft.weights.npy;

import dev.graft.engine.Backends;
import dev.graft.engine.DType;
import dev.graft.engine.Storage;
import dev.graft.engine.Tensor;
import dev.graft.engine.io.AtomicFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

/**
 * Reads and writes single arrays in NumPy's .npy format. Reading accepts versions 1.0 to 3.0 and the
 * little-endian, C-ordered dtypes {@code <f4} (F32), {@code <f8} (F64), {@code <i8} (I64), plus {@code <f2}
 * (widened to F32) and {@code <i4 <i2 |i1 |u1 |b1} (widened to I64). Writing produces what
 * {@code numpy.save} produces for the same array: version 1.0 (2.0 only for a header over 64 KiB), the
 * data 64-byte aligned.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;
    /** numpy.save leaves room to rewrite the first dimension in place; matching it gives numpy's exact bytes. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    /** Real headers are ~128 bytes; the cap bounds what a forged 4-byte length can make us read. */
    private static final int MAX_HEADER_BYTES = 1 << 20;
    /** NumPy 2's own limit on dimensions. */
    private static final int MAX_RANK = 64;
    /** The most elements a graft tensor holds (see {@code Shape.numel}). */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    private static final int CHUNK_BYTES = 1 << 20;

    private Npy() {
    }

    /** The element types read, by their NumPy descr, and the graft dtype each becomes. */
    private enum Element {
        F2("<f2", 2, DType.F32), F4("<f4", 4, DType.F32), F8("<f8", 8, DType.F64), I8("<i8", 8, DType.I64),
        I4("<i4", 4, DType.I64), I2("<i2", 2, DType.I64), I1("|i1", 1, DType.I64), U1("|u1", 1, DType.I64),
        B1("|b1", 1, DType.I64);

        static final Map<String, Element> BY_DESCR =
                Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(e -> e.descr, Function.identity()));

        final String descr;
        final int size;
        final DType dtype;

        Element(String descr, int size, DType dtype) {
            this.descr = descr;
            this.size = size;
            this.dtype = dtype;
        }
    }

    private record Header(String descr, boolean fortranOrder, int[] shape) {
    }

    /**
     * Reads the array in {@code path}.
     *
     * @throws NpyFormatException if the file is malformed or holds an array graft does not read
     * @throws IOException        if the file cannot be read
     */
    public static Tensor read(Path path) throws IOException, NpyFormatException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 10) {
                throw error(path, "file is " + size + " bytes, too short for the 10-byte .npy preamble");
            }
            ByteBuffer preamble = readFully(path, channel, 0, (int) Math.min(size, 12));
            byte[] magic = new byte[MAGIC.length];
            preamble.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw error(path, "not a .npy file: starts with bytes " + hex(magic) + ", expected " + hex(MAGIC));
            }
            int major = Byte.toUnsignedInt(preamble.get());
            int minor = Byte.toUnsignedInt(preamble.get());
            if (major < 1 || major > 3 || minor != 0) {
                throw error(path, "format version " + major + "." + minor + " is not supported (1.0, 2.0, 3.0 are)");
            }
            if (major > 1 && size < 12) {
                throw error(path, "file is " + size + " bytes, too short for the 12-byte version " + major
                        + ".0 preamble");
            }
            long headerLength = major == 1 ? Short.toUnsignedInt(preamble.getShort())
                    : Integer.toUnsignedLong(preamble.getInt());
            long headerStart = major == 1 ? 10 : 12;
            if (headerLength > MAX_HEADER_BYTES) {
                throw error(path, "header length " + headerLength + " exceeds the limit of " + MAX_HEADER_BYTES
                        + " bytes");
            }
            if (headerStart + headerLength > size) {
                throw error(path, "header length " + headerLength + " reaches beyond the end of the " + size
                        + "-byte file");
            }
            ByteBuffer raw = readFully(path, channel, headerStart, (int) headerLength);
            // Versions 1 and 2 store the header as latin-1, version 3 as UTF-8.
            String text = major == 3 ? utf8(path, raw) : StandardCharsets.ISO_8859_1.decode(raw).toString();
            Header header = new HeaderParser(path, text).parse();

            Element element = element(path, header.descr());
            if (header.fortranOrder()) {
                throw error(path, "fortran_order is True; only C-ordered arrays are read"
                        + " (save np.ascontiguousarray(a))");
            }
            long numel = numel(header.shape());
            if (numel > MAX_ELEMENTS) {
                throw error(path, "shape " + tuple(header.shape()) + " has " + (numel == Long.MAX_VALUE
                        ? "more than " + Long.MAX_VALUE : numel) + " elements, more than a graft tensor holds ("
                        + MAX_ELEMENTS + ")");
            }
            long dataStart = headerStart + headerLength;
            long needed = numel * element.size;
            if (size - dataStart != needed) {
                throw error(path, (size - dataStart < needed ? "data is truncated" : "data has trailing bytes")
                        + ": shape " + tuple(header.shape()) + " of " + element.descr + " needs " + needed
                        + " bytes, the file has " + (size - dataStart) + " after the header");
            }
            return Tensor.of(data(path, channel, dataStart, element, (int) numel), header.shape());
        }
    }

    private static Element element(Path path, String descr) throws NpyFormatException {
        Element element = Element.BY_DESCR.get(descr);
        if (element != null) {
            return element;
        }
        String q = quote(descr);
        if (descr.startsWith(">")) {
            throw error(path, "big-endian data (descr " + q + ") is not supported; save a.astype(a.dtype"
                    + ".newbyteorder('<'))");
        }
        if (descr.contains("O")) {
            throw error(path, "object arrays (descr " + q + ") are not supported: they hold pickled Python objects");
        }
        throw error(path, "dtype descr " + q + " is not supported (supported: "
                + Arrays.stream(Element.values()).map(e -> e.descr).collect(Collectors.joining(" ")) + ")");
    }

    /** Element count, saturated at Long.MAX_VALUE instead of overflowing. */
    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n = d == 0 ? 0 : n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d;
        }
        return n;
    }

    private static Storage data(Path path, FileChannel channel, long start, Element element, int n)
            throws IOException, NpyFormatException {
        var backend = Backends.cpu();
        return switch (element) {
            case F4 -> {
                float[] v = new float[n];
                chunks(path, channel, start, element, n, (b, at, k) -> b.asFloatBuffer().get(v, at, k));
                yield backend.upload(v);
            }
            case F2 -> {
                float[] v = new float[n];
                chunks(path, channel, start, element, n, (b, at, k) -> {
                    for (int i = 0; i < k; i++) {
                        v[at + i] = Float.float16ToFloat(b.getShort());
                    }
                });
                yield backend.upload(v);
            }
            case F8 -> {
                double[] v = new double[n];
                chunks(path, channel, start, element, n, (b, at, k) -> b.asDoubleBuffer().get(v, at, k));
                yield backend.upload(v);
            }
            case I8 -> {
                long[] v = new long[n];
                chunks(path, channel, start, element, n, (b, at, k) -> b.asLongBuffer().get(v, at, k));
                yield backend.upload(v);
            }
            case I4 -> backend.upload(longs(path, channel, start, element, n, ByteBuffer::getInt));
            case I2 -> backend.upload(longs(path, channel, start, element, n, ByteBuffer::getShort));
            case I1 -> backend.upload(longs(path, channel, start, element, n, ByteBuffer::get));
            case U1 -> backend.upload(longs(path, channel, start, element, n, b -> Byte.toUnsignedLong(b.get())));
            case B1 -> backend.upload(longs(path, channel, start, element, n, b -> b.get() != 0 ? 1 : 0));
        };
    }

    private static long[] longs(Path path, FileChannel channel, long start, Element element, int n,
                                ToLongFunction<ByteBuffer> next) throws IOException, NpyFormatException {
        long[] v = new long[n];
        chunks(path, channel, start, element, n, (b, at, k) -> {
            for (int i = 0; i < k; i++) {
                v[at + i] = next.applyAsLong(b);
            }
        });
        return v;
    }

    private interface Chunk {
        /** Consumes {@code count} little-endian elements from {@code bytes}, for elements {@code at} onwards. */
        void take(ByteBuffer bytes, int at, int count);
    }

    /** Reads the data in bounded chunks, so memory stays at the result array plus one buffer. */
    private static void chunks(Path path, FileChannel channel, long start, Element element, int n, Chunk sink)
            throws IOException, NpyFormatException {
        int perChunk = CHUNK_BYTES / element.size;
        ByteBuffer buffer = ByteBuffer.allocate(Math.min(perChunk, n) * element.size).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at < n; at += perChunk) {
            int k = Math.min(perChunk, n - at);
            buffer.clear().limit(k * element.size);
            long position = start + (long) at * element.size;
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, position + buffer.position()) < 0) {
                    throw error(path, "file ended at byte " + (position + buffer.position()) + " inside the data"
                            + " (was it truncated while being read?)");
                }
            }
            sink.take(buffer.flip(), at, k);
        }
    }

    private static ByteBuffer readFully(Path path, FileChannel channel, long position, int length)
            throws IOException, NpyFormatException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw error(path, "file ended at byte " + (position + buffer.position()) + " inside the header"
                        + " (was it truncated while being read?)");
            }
        }
        return buffer.flip();
    }

    private static String utf8(Path path, ByteBuffer raw) throws NpyFormatException {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().decode(raw);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw error(path, "version 3.0 header is not valid UTF-8");
        }
    }

    /**
     * The header dict, parsed by a grammar for exactly what NumPy writes: string keys, string, boolean and
     * integer-tuple values, Python whitespace and trailing commas, and Python 2's {@code 3L} integers.
     */
    private static final class HeaderParser {
        private final Path path;
        private final String text;
        private int pos;

        HeaderParser(Path path, String text) {
            this.path = path;
            this.text = text;
        }

        Header parse() throws NpyFormatException {
            String descr = null;
            Boolean fortranOrder = null;
            int[] shape = null;
            skipSpace();
            expect('{');
            skipSpace();
            while (peek() != '}') {
                int keyAt = pos;
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                boolean repeated;
                switch (key) {
                    case "descr" -> {
                        repeated = descr != null;
                        if (peek() != '\'' && peek() != '"') {
                            throw fail("'descr' must be a string such as '<f4' (structured dtypes are not supported)");
                        }
                        descr = string();
                    }
                    case "fortran_order" -> {
                        repeated = fortranOrder != null;
                        fortranOrder = bool();
                    }
                    case "shape" -> {
                        repeated = shape != null;
                        shape = tuple();
                    }
                    default -> throw failAt(keyAt, "unexpected key " + quote(key)
                            + " (expected 'descr', 'fortran_order', 'shape')");
                }
                if (repeated) {
                    throw failAt(keyAt, "key " + quote(key) + " appears twice");
                }
                skipSpace();
                if (peek() == ',') {
                    pos++;
                    skipSpace();
                } else if (peek() != '}') {
                    throw fail("expected ',' or '}'");
                }
            }
            pos++;
            skipSpace();
            if (pos < text.length()) {
                throw fail("unexpected text after the dict");
            }
            if (descr == null || fortranOrder == null || shape == null) {
                throw error(path, "header lacks key '" + (descr == null ? "descr"
                        : fortranOrder == null ? "fortran_order" : "shape") + "'");
            }
            return new Header(descr, fortranOrder, shape);
        }

        private String string() throws NpyFormatException {
            char quote = peek();
            if (quote != '\'' && quote != '"') {
                throw fail("expected a quoted string");
            }
            int start = ++pos;
            while (peek() != quote) {
                if (pos >= text.length() || peek() == '\\' || peek() == '\n') {
                    throw fail("unterminated string or unsupported escape in string");
                }
                pos++;
            }
            return text.substring(start, pos++);
        }

        private boolean bool() throws NpyFormatException {
            for (String word : new String[] {"True", "False"}) {
                if (text.startsWith(word, pos)) {
                    pos += word.length();
                    return word.equals("True");
                }
            }
            throw fail("'fortran_order' must be True or False");
        }

        /** A tuple of non-negative ints; one element needs its trailing comma, as in Python. */
        private int[] tuple() throws NpyFormatException {
            int[] dims = new int[MAX_RANK];
            int n = 0;
            boolean comma = false;
            expect('(');
            skipSpace();
            while (peek() != ')') {
                if (n == MAX_RANK) {
                    throw fail("shape has more than " + MAX_RANK + " dimensions");
                }
                dims[n++] = dimension();
                skipSpace();
                comma = peek() == ',';
                if (comma) {
                    pos++;
                    skipSpace();
                } else if (peek() != ')') {
                    throw fail("expected ',' or ')' in shape");
                }
            }
            if (n == 1 && !comma) {
                throw fail("shape is a parenthesised integer, not a tuple (a 1-D shape is written (n,))");
            }
            pos++;
            return Arrays.copyOf(dims, n);
        }

        private int dimension() throws NpyFormatException {
            int start = pos;
            if (peek() == '-') {
                throw fail("shape has a negative dimension");
            }
            long value = 0;
            while (peek() >= '0' && peek() <= '9') {
                value = value * 10 + (peek() - '0');
                pos++;
                if (value > Integer.MAX_VALUE) {
                    throw failAt(start, "shape has dimension " + quote(text.substring(start, Math.min(pos + 20,
                            text.length()))) + ", above graft's limit of " + Integer.MAX_VALUE);
                }
            }
            if (pos == start) {
                throw fail("expected a dimension (an integer) in shape");
            }
            if (pos - start > 1 && text.charAt(start) == '0') {
                throw failAt(start, "dimension with a leading zero is not a Python integer");
            }
            if (peek() == 'L' || peek() == 'l') {
                pos++; // Python 2 long literal, written by NumPy under Python 2
            }
            return (int) value;
        }

        private void skipSpace() {
            while (pos < text.length() && " \t\n\r\f".indexOf(text.charAt(pos)) >= 0) {
                pos++;
            }
        }

        private void expect(char c) throws NpyFormatException {
            if (peek() != c) {
                throw fail("expected '" + c + "'");
            }
            pos++;
        }

        /** The current character, or NUL past the end (NUL never matches anything the grammar expects). */
        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private NpyFormatException fail(String problem) {
            return failAt(pos, problem);
        }

        private NpyFormatException failAt(int at, String problem) {
            String found = at >= text.length() ? "the end of the header"
                    : quote(text.substring(at, Math.min(at + 20, text.length())));
            return error(path, "header: " + problem + " at char " + at + ", found " + found);
        }
    }

    /**
     * Writes {@code tensor} (F32 as {@code <f4}, F64 as {@code <f8}, I64 as {@code <i8}) to {@code path},
     * replacing any existing file atomically: the bytes go to a temporary file in the same directory, are forced
     * to disk, then moved over the target. On failure the temporary file is deleted and the target untouched.
     */
    public static void write(Path path, Tensor tensor) throws IOException {
        String descr = switch (tensor.dtype()) {
            case F32 -> "<f4";
            case F64 -> "<f8";
            case I64 -> "<i8";
        };
        int[] shape = tensor.shape();
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple(shape) + ", }"
                + (shape.length == 0 ? "" : " ".repeat(GROWTH_AXIS_MAX_DIGITS - String.valueOf(shape[0]).length()));
        byte[] header = wrapHeader(dict.getBytes(StandardCharsets.ISO_8859_1));
        AtomicFile.replace(path, channel -> {
            AtomicFile.writeFully(channel, ByteBuffer.wrap(header));
            AtomicFile.writeLittleEndian(channel, tensor);
        });
    }

    /** NumPy's layout: preamble, dict, spaces and a newline up to the next multiple of 64 (never zero padding). */
    private static byte[] wrapHeader(byte[] dict) {
        int major = 1;
        int preamble = MAGIC.length + 2 + 2;
        int padding = ALIGN - (preamble + dict.length + 1) % ALIGN;
        if (dict.length + 1 + padding > 0xFFFF) {
            major = 2;
            preamble = MAGIC.length + 2 + 4;
            padding = ALIGN - (preamble + dict.length + 1) % ALIGN;
        }
        int length = dict.length + padding + 1;
        ByteBuffer out = ByteBuffer.allocate(preamble + length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            out.putShort((short) length);
        } else {
            out.putInt(length);
        }
        out.put(dict);
        while (out.remaining() > 1) {
            out.put((byte) ' ');
        }
        return out.put((byte) '\n').array();
    }

    /** Python's tuple notation: {@code ()}, {@code (3,)}, {@code (3, 4)}. */
    private static String tuple(int[] shape) {
        String inner = Arrays.stream(shape).mapToObj(String::valueOf).collect(Collectors.joining(", "));
        return "(" + inner + (shape.length == 1 ? ",)" : ")");
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02x", b));
        }
        return sb.toString();
    }

    /** Quotes text from a file for an error message: shortened, and escaped so the message stays one line. */
    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        int n = Math.min(s.length(), 40);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf(c)
                    : String.format(c <= 0xff ? "\\x%02x" : "\\u%04x", (int) c));
        }
        return sb.append(s.length() > n ? "'..." : "'").toString();
    }

    private static NpyFormatException error(Path path, String problem) {
        return new NpyFormatException(path + ": " + problem);
    }
}
