package dev.graft.weights;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked reads over a window of untrusted bytes. Every length read from the data is checked against
 * what is left before anything is allocated, so a forged size fails as "truncated" instead of allocating.
 */
final class ByteCursor {
    private final String source;
    private final byte[] data;
    private final int origin;
    private final int end;
    private int pos;

    /**
     * A cursor over {@code data[start, end)}; {@code source} names the file (and entry) in error messages, which
     * give positions relative to {@code origin}.
     */
    ByteCursor(String source, byte[] data, int origin, int start, int end) {
        this.source = source;
        this.data = data;
        this.origin = origin;
        this.pos = start;
        this.end = end;
    }

    /** A cursor over {@code data[start, end)} whose errors give positions in the whole file. */
    ByteCursor(String source, byte[] data, int start, int end) {
        this(source, data, 0, start, end);
    }

    int position() {
        return pos;
    }

    int remaining() {
        return end - pos;
    }

    /** An error located at the current position. */
    CheckpointFormatException error(String detail) {
        return errorAt(pos, detail);
    }

    CheckpointFormatException errorAt(int at, String detail) {
        return new CheckpointFormatException(source + " at byte " + (at - origin) + ": " + detail);
    }

    /** Checks that {@code n} more bytes exist. */
    void require(long n) throws CheckpointFormatException {
        if (n < 0 || n > remaining()) {
            throw error("truncated: needs " + Long.toUnsignedString(n) + " bytes, only " + remaining() + " left");
        }
    }

    /** Checks that {@code n} more bytes exist and moves past them; returns where they start. */
    int skip(long n) throws CheckpointFormatException {
        require(n);
        int at = pos;
        pos += (int) n;
        return at;
    }

    int u8() throws CheckpointFormatException {
        return data[skip(1)] & 0xff;
    }

    int u16() throws CheckpointFormatException {
        int at = skip(2);
        return (data[at] & 0xff) | (data[at + 1] & 0xff) << 8;
    }

    int i32() throws CheckpointFormatException {
        int at = skip(4);
        return (data[at] & 0xff) | (data[at + 1] & 0xff) << 8 | (data[at + 2] & 0xff) << 16 | data[at + 3] << 24;
    }

    long u32() throws CheckpointFormatException {
        return i32() & 0xffffffffL;
    }

    long i64() throws CheckpointFormatException {
        long lo = u32();
        return lo | (long) i32() << 32;
    }

    /** Pickle's BINFLOAT is the one big-endian field. */
    double f64BigEndian() throws CheckpointFormatException {
        int at = skip(8);
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits = bits << 8 | (data[at + i] & 0xff);
        }
        return Double.longBitsToDouble(bits);
    }

    byte[] bytes(long n) throws CheckpointFormatException {
        int at = skip(n);
        byte[] out = new byte[(int) n];
        System.arraycopy(data, at, out, 0, out.length);
        return out;
    }

    /** Strictly decoded UTF-8: corrupt text is an error rather than silently replaced characters in a key. */
    String utf8(long n) throws CheckpointFormatException {
        int at = skip(n);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, at, (int) n));
            return chars.toString();
        } catch (CharacterCodingException e) {
            pos = at;
            throw error("invalid UTF-8 in a " + n + "-byte string");
        }
    }

    /** Text up to the next newline (which is consumed), as in pickle's GLOBAL operands. */
    String line() throws CheckpointFormatException {
        for (int i = pos; i < end; i++) {
            if (data[i] == '\n') {
                String s = utf8(i - pos);
                pos++;
                return s;
            }
        }
        throw error("truncated: no newline ends the text operand");
    }
}
