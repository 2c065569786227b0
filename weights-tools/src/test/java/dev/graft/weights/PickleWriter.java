package dev.graft.weights;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Hand-assembles pickles opcode by opcode, for tests that need streams torch would never write. */
final class PickleWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static PickleWriter proto2() {
        return new PickleWriter().op(0x80).raw(2);
    }

    PickleWriter op(int opcode) {
        out.write(opcode);
        return this;
    }

    PickleWriter raw(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    PickleWriter append(PickleWriter other) {
        out.writeBytes(other.bytes());
        return this;
    }

    PickleWriter le32(long v) {
        byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array();
        out.writeBytes(b);
        return this;
    }

    PickleWriter le64(long v) {
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        return this;
    }

    /** BININT1 / BININT2 / BININT or LONG1, whichever pickle would use. */
    PickleWriter integer(long v) {
        if (v >= 0 && v < 256) {
            return op('K').raw((int) v);
        }
        if (v >= 0 && v < 65536) {
            return op('M').raw((int) v & 0xff, (int) v >> 8);
        }
        if (v == (int) v) {
            return op('J').le32(v);
        }
        return op(0x8a).raw(8).le64(v);
    }

    PickleWriter bigInteger(BigInteger v) {
        byte[] be = v.toByteArray();
        op(0x8a).raw(be.length);
        for (int i = be.length - 1; i >= 0; i--) {
            out.write(be[i]);
        }
        return this;
    }

    /** BINUNICODE. */
    PickleWriter str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X').le32(b.length);
        out.writeBytes(b);
        return this;
    }

    PickleWriter global(String module, String name) {
        op('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    PickleWriter mark() {
        return op('(');
    }

    PickleWriter tuple() {
        return op('t');
    }

    PickleWriter emptyDict() {
        return op('}');
    }

    PickleWriter emptyTuple() {
        return op(')');
    }

    PickleWriter reduce() {
        return op('R');
    }

    PickleWriter none() {
        return op('N');
    }

    PickleWriter bool(boolean b) {
        return op(b ? 0x88 : 0x89);
    }

    PickleWriter setItem() {
        return op('s');
    }

    PickleWriter stop() {
        return op('.');
    }

    /** A tuple of small non-negative ints (a size or stride). */
    PickleWriter ints(long... values) {
        mark();
        for (long v : values) {
            integer(v);
        }
        return tuple();
    }

    /** {@code OrderedDict()} as torch pickles it. */
    PickleWriter orderedDict() {
        return global("collections", "OrderedDict").emptyTuple().reduce();
    }

    /** {@code _rebuild_tensor_v2(<persistent storage>, offset, size, stride, False, OrderedDict())}. */
    PickleWriter tensorV2(PickleWriter persistentId, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").mark().mark().append(persistentId);
        op('t').op('Q').integer(offset).ints(size).ints(stride).bool(false).orderedDict().tuple();
        return reduce();
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }
}
