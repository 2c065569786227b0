package dev.graft.weights.npy;

import dev.graft.engine.Backend;
import dev.graft.engine.DType;
import dev.graft.engine.Storage;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads the files numpy.save wrote (make_format_fixtures.py), writes numpy's exact bytes, rejects the rest. */
class NpyTest {
    @TempDir
    Path dir;

    static byte[] resource(String name) throws IOException {
        try (InputStream in = NpyTest.class.getResourceAsStream("/fixtures/npy/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource " + name + "; run make_format_fixtures.py");
            }
            return in.readAllBytes();
        }
    }

    private Path fixture(String name) throws IOException {
        return Files.write(dir.resolve(name), resource(name));
    }

    /** A .npy file with {@code dict} as its header text, numpy's padding, then {@code dataBytes} zero bytes. */
    static byte[] npy(int major, String dict, int dataBytes) {
        byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int preamble = major == 1 ? 10 : 12;
        int length = text.length + 1 + (64 - (preamble + text.length + 1) % 64);
        ByteBuffer b = ByteBuffer.allocate(preamble + length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) length);
        } else {
            b.putInt(length);
        }
        b.put(text);
        while (b.position() < preamble + length - 1) {
            b.put((byte) ' ');
        }
        return b.put((byte) '\n').array();
    }

    static String dict(String descr, String fortran, String shape) {
        return "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
    }

    private static float[] floats(int n, java.util.function.IntToDoubleFunction f) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) f.applyAsDouble(i);
        }
        return v;
    }

    @Test
    void readsWhatNumpySaved() throws Exception {
        Tensor f4 = Npy.read(fixture("f4.npy"));
        assertEquals(DType.F32, f4.dtype());
        assertArrayEquals(new int[] {3, 4}, f4.shape());
        assertArrayEquals(floats(12, i -> i / 4.0 - 1), f4.toFloatArray());

        Tensor f8 = Npy.read(fixture("f8.npy"));
        assertEquals(DType.F64, f8.dtype());
        assertArrayEquals(new double[] {0, 1 / 3.0, 2 / 3.0, 3 / 3.0, 4 / 3.0}, f8.toDoubleArray());

        Tensor i8 = Npy.read(fixture("i8.npy"));
        assertEquals(DType.I64, i8.dtype());
        assertArrayEquals(new long[] {-(1L << 62), -1, 0, 1, (1L << 62) + 3}, i8.toLongArray());

        assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 0}, Npy.read(fixture("i4.npy")).toLongArray());
        assertArrayEquals(new long[] {0, 60, 120, 180, 240}, Npy.read(fixture("u1.npy")).toLongArray());

        Tensor scalar = Npy.read(fixture("scalar.npy"));
        assertArrayEquals(new int[0], scalar.shape());
        assertEquals(3.5, scalar.item());

        Tensor empty = Npy.read(fixture("empty.npy"));
        assertArrayEquals(new int[] {0, 3}, empty.shape());
        assertEquals(DType.F32, empty.dtype());
    }

    @ParameterizedTest
    @ValueSource(strings = {"v2.npy", "v3.npy"})
    void readsVersionsTwoAndThree(String name) throws Exception {
        byte[] bytes = resource(name);
        assertEquals(name.charAt(1) - '0', bytes[6], "fixture has the intended version");
        Tensor t = Npy.read(fixture(name));
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertArrayEquals(floats(6, i -> i), t.toFloatArray());
    }

    @Test
    void rejectsBigEndianAndFortranOrderFromNumpy() throws Exception {
        Path big = fixture("big_endian.npy");
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(big));
        assertEquals(big + ": big-endian data (descr '>f4') is not supported; save a.astype(a.dtype"
                + ".newbyteorder('<'))", e.getMessage());
        Path fortran = fixture("fortran.npy");
        e = assertThrows(NpyFormatException.class, () -> Npy.read(fortran));
        assertTrue(e.getMessage().startsWith(fortran + ": fortran_order is True"), e.getMessage());
    }

    @Test
    void writesNumpysExactBytes() throws Exception {
        Npy.write(dir.resolve("f4.out"), Tensor.of(floats(12, i -> i / 4.0 - 1), 3, 4));
        assertArrayEquals(resource("f4.npy"), Files.readAllBytes(dir.resolve("f4.out")));
        Npy.write(dir.resolve("f8.out"), Tensor.of(new double[] {0, 1 / 3.0, 2 / 3.0, 3 / 3.0, 4 / 3.0}, 5));
        assertArrayEquals(resource("f8.npy"), Files.readAllBytes(dir.resolve("f8.out")));
        Npy.write(dir.resolve("i8.out"), Tensor.ofLongs(new long[] {-(1L << 62), -1, 0, 1, (1L << 62) + 3}, 5));
        assertArrayEquals(resource("i8.npy"), Files.readAllBytes(dir.resolve("i8.out")));
        Npy.write(dir.resolve("scalar.out"), Tensor.of(new float[] {3.5f}));
        assertArrayEquals(resource("scalar.npy"), Files.readAllBytes(dir.resolve("scalar.out")));
        Npy.write(dir.resolve("empty.out"), Tensor.zeros(0, 3));
        assertArrayEquals(resource("empty.npy"), Files.readAllBytes(dir.resolve("empty.out")));
    }

    @Test
    void roundTripsStridedViewsAndEveryDtype() throws Exception {
        Tensor transposed = Tensor.of(floats(6, i -> i * 1.5), 2, 3).t();
        Path p = dir.resolve("t.npy");
        Npy.write(p, transposed);
        Tensor back = Npy.read(p);
        assertArrayEquals(new int[] {3, 2}, back.shape());
        assertArrayEquals(transposed.toFloatArray(), back.toFloatArray());

        Npy.write(p, Tensor.of(new double[] {Double.MIN_VALUE, -0.0, Double.NaN}, 3, 1));
        assertArrayEquals(new double[] {Double.MIN_VALUE, -0.0, Double.NaN}, Npy.read(p).toDoubleArray());
        Npy.write(p, Tensor.ofLongs(new long[] {Long.MAX_VALUE, Long.MIN_VALUE}, 1, 2, 1));
        assertArrayEquals(new long[] {Long.MAX_VALUE, Long.MIN_VALUE}, Npy.read(p).toLongArray());
        assertEquals(List.of(p), list());
    }

    @Test
    void hugeHeadersSwitchToVersionTwoWithNumpysAlignment() throws Exception {
        int[] shape = new int[25_000];
        Arrays.fill(shape, 1);
        Path p = dir.resolve("wide.npy");
        Npy.write(p, Tensor.zeros(shape));
        byte[] bytes = Files.readAllBytes(p);
        assertEquals(2, bytes[6]);
        long length = Integer.toUnsignedLong(ByteBuffer.wrap(bytes, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
        assertEquals(0, (12 + length) % 64);
        assertEquals('\n', bytes[(int) (12 + length - 1)]);
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(p));
        assertTrue(e.getMessage().contains("shape has more than 64 dimensions"), e.getMessage());
    }

    static Stream<Arguments> malformed() {
        byte[] magic = npy(1, dict("'<f4'", "False", "(1,)"), 4);
        magic[1] = 'X';
        byte[] version = npy(1, dict("'<f4'", "False", "(1,)"), 4);
        version[7] = 1;
        byte[] hugeHeader = npy(2, dict("'<f4'", "False", "(1,)"), 4);
        ByteBuffer.wrap(hugeHeader).order(ByteOrder.LITTLE_ENDIAN).putInt(8, Integer.MIN_VALUE);
        byte[] pastEnd = npy(1, dict("'<f4'", "False", "(1,)"), 0);
        ByteBuffer.wrap(pastEnd).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 0xFFFF);
        byte[] badUtf8 = npy(3, dict("'<f4'", "False", "(1,)"), 4);
        badUtf8[12 + 11] = (byte) 0xC3; // inside the descr string: a lead byte followed by '<'
        return Stream.of(
                Arguments.of("short", new byte[] {(byte) 0x93, 'N'}, "2 bytes, too short"),
                Arguments.of("magic", magic, "not a .npy file: starts with bytes 9358554d5059"),
                Arguments.of("version", version, "format version 1.1 is not supported"),
                Arguments.of("huge header", hugeHeader, "header length 2147483648 exceeds the limit of 1048576"),
                Arguments.of("past end", pastEnd, "header length 65535 reaches beyond the end of the 128-byte file"),
                Arguments.of("v3 utf-8", badUtf8, "version 3.0 header is not valid UTF-8"),
                Arguments.of("not a dict", npy(1, "[1, 2]", 0), "header: expected '{' at char 0, found '[1, 2]"),
                Arguments.of("missing", npy(1, "{'descr': '<f4', 'shape': (1,)}", 4), "header lacks key 'fortran_order'"),
                Arguments.of("extra", npy(1, "{'descr': '<f4', 'x': 1}", 4), "unexpected key 'x'"),
                Arguments.of("twice", npy(1, "{'shape': (1,), 'shape': (1,)}", 4), "key 'shape' appears twice"),
                Arguments.of("structured", npy(1, dict("[('a', '<f4')]", "False", "(1,)"), 4),
                        "'descr' must be a string such as '<f4' (structured dtypes are not supported) at char 10"),
                Arguments.of("object", npy(1, dict("'|O'", "False", "(1,)"), 8), "object arrays (descr '|O')"),
                Arguments.of("unknown dtype", npy(1, dict("'<c8'", "False", "(1,)"), 8),
                        "dtype descr '<c8' is not supported (supported: <f2 <f4 <f8 <i8 <i4 <i2 |i1 |u1 |b1)"),
                Arguments.of("fortran", npy(1, dict("'<f4'", "True", "(2, 2)"), 16), "fortran_order is True"),
                Arguments.of("fortran type", npy(1, dict("'<f4'", "0", "(2, 2)"), 16),
                        "'fortran_order' must be True or False"),
                Arguments.of("negative", npy(1, dict("'<f4'", "False", "(-1,)"), 0), "shape has a negative dimension"),
                Arguments.of("huge dim", npy(1, dict("'<f4'", "False", "(99999999999999999999,)"), 0),
                        "shape has dimension '99999999999"),
                Arguments.of("overflow", npy(1, dict("'<f8'", "False", "(2147483647, 2147483647, 2147483647, 8)"), 0),
                        "has more than 9223372036854775807 elements, more than a graft tensor holds"),
                Arguments.of("too many", npy(1, dict("'<f4'", "False", "(65536, 65536)"), 0),
                        "shape (65536, 65536) has 4294967296 elements"),
                Arguments.of("not a tuple", npy(1, dict("'<f4'", "False", "(3)"), 12), "not a tuple"),
                Arguments.of("leading zero", npy(1, dict("'<f4'", "False", "(03,)"), 12), "leading zero"),
                Arguments.of("truncated", npy(1, dict("'<f4'", "False", "(3,)"), 11),
                        "data is truncated: shape (3,) of <f4 needs 12 bytes, the file has 11 after the header"),
                Arguments.of("trailing", npy(1, dict("'<f4'", "False", "(3,)"), 13), "data has trailing bytes"),
                Arguments.of("unterminated", npy(1, "{'descr': '<f4", 0), "unterminated string"),
                Arguments.of("escape", npy(1, dict("'<f\\x34'", "False", "(1,)"), 4), "unsupported escape"),
                Arguments.of("after dict", npy(1, dict("'<f4'", "False", "(1,)") + " x", 4), "unexpected text after"),
                Arguments.of("deep", npy(1, dict("'<f4'", "False", "(".repeat(50_000)), 4),
                        "expected a dimension (an integer) in shape"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsMalformedFilesWithOneLineMessages(String label, byte[] bytes, String expected) throws IOException {
        Path path = Files.write(dir.resolve("bad.npy"), bytes);
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(path));
        assertTrue(e.getMessage().startsWith(path + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void acceptsPythonTwoLongsAndLooseWhitespace() throws Exception {
        Path path = Files.write(dir.resolve("py2.npy"), npy(1, "{\"descr\":'<f4',\n\t'shape':(2L,3L),'fortran_order':False}", 24));
        assertArrayEquals(new int[] {2, 3}, Npy.read(path).shape());
    }

    private List<Path> list() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    @Test
    void failedWritesLeaveThePreviousFileAndNoTempFile() throws Exception {
        Path path = dir.resolve("keep.npy");
        Npy.write(path, Tensor.of(new float[] {1, 2}, 2));
        byte[] before = Files.readAllBytes(path);
        Backend lost = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    throw new UncheckedIOException(new IOException("device lost during " + method.getName()));
                });
        Storage storage = new Storage() {
            public DType dtype() {
                return DType.F64;
            }

            public int size() {
                return 3;
            }

            public Backend backend() {
                return lost;
            }
        };
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Npy.write(path, Tensor.of(storage, 3)));
        assertTrue(e.getMessage().contains("device lost during downloadDoubles"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(path));
        assertEquals(List.of(path), list());

        Path taken = Files.createDirectory(dir.resolve("taken"));
        Files.writeString(taken.resolve("inside"), "x"); // a non-empty directory cannot be replaced by a file
        assertThrows(IOException.class, () -> Npy.write(taken, Tensor.scalar(1)));
        assertEquals(List.of(path, taken), list().stream().sorted().toList());
    }
}
