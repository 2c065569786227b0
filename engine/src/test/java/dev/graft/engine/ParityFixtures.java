package dev.graft.engine;

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
 * Reader for the PyTorch parity fixtures under {@code fixtures/parity/} on the test classpath, written by
 * {@code engine/src/test/fixtures/make_parity_fixtures.py}; that script's docstring defines the format
 * ({@code index.txt} describing the tensors, {@code parity.bin} holding their little-endian elements).
 */
final class ParityFixtures {
    private static final String DIR = "/fixtures/parity/";

    private ParityFixtures() {
    }

    /** One stored tensor: F32 elements in {@code floats} or I64 elements in {@code longs}, row-major. */
    record Array(String name, DType dtype, int[] shape, float[] floats, long[] longs) {

        /** A fresh graft tensor holding these elements. */
        Tensor toTensor() {
            return dtype == DType.I64 ? Tensor.ofLongs(longs, shape) : Tensor.of(floats, shape);
        }
    }

    /** One op invocation: its arguments as written by the script, its inputs and PyTorch's results. */
    record Case(String name, String op, Map<String, String> args, Map<String, Array> inputs,
                Map<String, Array> expected) {

        String arg(String key) {
            String v = args.get(key);
            if (v == null) {
                throw new IllegalArgumentException(name + ": fixture has no argument '" + key + "'");
            }
            return v;
        }

        int[] ints(String key) {
            return Arrays.stream(arg(key).split(",")).mapToInt(Integer::parseInt).toArray();
        }

        int integer(String key) {
            return Integer.parseInt(arg(key));
        }

        double real(String key) {
            return Double.parseDouble(arg(key));
        }

        boolean flag(String key) {
            return switch (arg(key)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException(name + ": argument " + key + "=" + arg(key)
                        + " is not a boolean");
            };
        }
    }

    /** Every case in the fixture index, in file order. */
    static List<Case> load() {
        ByteBuffer data = ByteBuffer.wrap(resource("parity.bin")).order(ByteOrder.LITTLE_ENDIAN);
        String[] lines = new String(resource("index.txt"), StandardCharsets.UTF_8).split("\n");
        List<Case> cases = new ArrayList<>();
        Case current = null;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(" ");
            String where = "index.txt line " + (i + 1) + ": ";
            if (f[0].equals("case")) {
                if (f.length < 3) {
                    throw new IllegalStateException(where + "case needs a name and an op: " + line);
                }
                Map<String, String> args = new LinkedHashMap<>();
                for (int k = 3; k < f.length; k++) {
                    int eq = f[k].indexOf('=');
                    if (eq < 1) {
                        throw new IllegalStateException(where + "argument is not KEY=VALUE: " + f[k]);
                    }
                    args.put(f[k].substring(0, eq), f[k].substring(eq + 1));
                }
                current = new Case(f[1], f[2], args, new LinkedHashMap<>(), new LinkedHashMap<>());
                cases.add(current);
            } else if (f[0].equals("input") || f[0].equals("expect")) {
                if (current == null || f.length != 5) {
                    throw new IllegalStateException(where
                            + "expected 'input|expect NAME DTYPE SHAPE OFFSET' inside a case: " + line);
                }
                Array a = read(data, f[1], f[2], parseShape(where, f[3]), Integer.parseInt(f[4]), where);
                (f[0].equals("input") ? current.inputs() : current.expected()).put(a.name(), a);
            } else {
                throw new IllegalStateException(where + "unknown record: " + line);
            }
        }
        return cases;
    }

    private static int[] parseShape(String where, String s) {
        if (!s.startsWith("(") || !s.endsWith(")")) {
            throw new IllegalStateException(where + "shape must look like (2,3,4) or (): " + s);
        }
        String body = s.substring(1, s.length() - 1);
        return body.isEmpty() ? new int[0] : Arrays.stream(body.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static Array read(ByteBuffer data, String name, String dtype, int[] shape, int offset, String where) {
        int n = Shape.numel(shape);
        return switch (dtype) {
            case "f32" -> {
                checkBounds(data, offset, 4L * n, where);
                float[] v = new float[n];
                data.slice(offset, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
                yield new Array(name, DType.F32, shape, v, null);
            }
            case "i64" -> {
                checkBounds(data, offset, 8L * n, where);
                long[] v = new long[n];
                data.slice(offset, 8 * n).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
                yield new Array(name, DType.I64, shape, null, v);
            }
            default -> throw new IllegalStateException(where + "unknown dtype " + dtype);
        };
    }

    private static void checkBounds(ByteBuffer data, int offset, long bytes, String where) {
        if (offset < 0 || offset + bytes > data.capacity()) {
            throw new IllegalStateException(where + bytes + " bytes at offset " + offset
                    + " run past the end of parity.bin (" + data.capacity() + " bytes); regenerate both files");
        }
    }

    private static byte[] resource(String file) {
        try (InputStream in = ParityFixtures.class.getResourceAsStream(DIR + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + DIR + file
                        + "; run engine/src/test/fixtures/make_parity_fixtures.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
