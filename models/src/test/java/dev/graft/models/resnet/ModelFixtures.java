package dev.graft.models.resnet;

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
 * Reader for the fixtures under {@code fixtures/} on the test classpath, written by
 * {@code models/src/test/fixtures/make_model_fixtures.py}; that script's docstring defines both formats.
 */
final class ModelFixtures {
    private ModelFixtures() {
    }

    /**
     * A state-dict key list: {@code lines} are "KEY SHAPE" in order; {@code parameters} is -1 and
     * {@code source}/{@code sha256} are null where the file has no such record.
     */
    record KeyList(List<String> lines, long parameters, String source, String sha256) {
    }

    /** One parity case: what to build, its state dict, the input {@code x} and PyTorch's output. */
    record Case(String name, String kind, Map<String, String> args, Map<String, Tensor> state, Tensor input,
                Tensor expected) {

        int integer(String key) {
            return Integer.parseInt(arg(key));
        }

        boolean flag(String key) {
            return switch (arg(key)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException(name + ": argument " + key + "=" + arg(key)
                        + " is not a boolean");
            };
        }

        private String arg(String key) {
            String v = args.get(key);
            if (v == null) {
                throw new IllegalArgumentException(name + ": fixture has no argument '" + key + "'");
            }
            return v;
        }
    }

    /** "(64,3,7,7)" for a shape, as the fixture script writes it. */
    static String formatShape(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ",").append(shape[i]);
        }
        return sb.append(')').toString();
    }

    static KeyList keyList(String name) {
        String file = "keys/" + name + ".txt";
        List<String> lines = new ArrayList<>();
        long parameters = -1;
        String source = null;
        String sha256 = null;
        String[] text = new String(resource(file), StandardCharsets.UTF_8).split("\n");
        for (int i = 0; i < text.length; i++) {
            String line = text[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(" ");
            if (f[0].equals("source") && f.length == 3) {
                source = f[1];
                sha256 = f[2];
            } else if (f[0].equals("parameters") && f.length == 2) {
                parameters = Long.parseLong(f[1]);
            } else if (f.length == 2) {
                lines.add(line);
            } else {
                throw new IllegalStateException(file + " line " + (i + 1) + ": expected 'KEY SHAPE', got " + line);
            }
        }
        return new KeyList(lines, parameters, source, sha256);
    }

    /** Every parity case in file order. */
    static List<Case> parityCases() {
        ByteBuffer data = ByteBuffer.wrap(resource("blocks/parity.bin")).order(ByteOrder.LITTLE_ENDIAN);
        String[] lines = new String(resource("blocks/index.txt"), StandardCharsets.UTF_8).split("\n");
        List<Case> cases = new ArrayList<>();
        Map<String, String> args = null;
        String[] header = null;
        Map<String, Tensor> state = null;
        Tensor input = null;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(" ");
            String where = "blocks/index.txt line " + (i + 1) + ": ";
            if (f[0].equals("case") && f.length >= 3) {
                header = f;
                args = new LinkedHashMap<>();
                for (int k = 3; k < f.length; k++) {
                    String[] kv = f[k].split("=", 2);
                    if (kv.length != 2) {
                        throw new IllegalStateException(where + "argument is not KEY=VALUE: " + f[k]);
                    }
                    args.put(kv[0], kv[1]);
                }
                state = new LinkedHashMap<>();
                input = null;
            } else if (header != null && f.length == 5 && (f[0].equals("input") || f[0].equals("state")
                    || f[0].equals("expect"))) {
                Tensor t = read(data, f[2], parseShape(where, f[3]), Integer.parseInt(f[4]), where);
                switch (f[0]) {
                    case "input" -> input = t;
                    case "state" -> state.put(f[1], t);
                    default -> {
                        if (input == null) {
                            throw new IllegalStateException(where + "case " + header[1] + " has no input before"
                                    + " its expected output");
                        }
                        cases.add(new Case(header[1], header[2], args, state, input, t));
                    }
                }
            } else {
                throw new IllegalStateException(where + "expected 'case NAME KIND ARGS...' or"
                        + " 'input|state|expect NAME DTYPE SHAPE OFFSET' after a case, got " + line);
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

    private static Tensor read(ByteBuffer data, String dtype, int[] shape, int offset, String where) {
        int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        int width = switch (dtype) {
            case "f32" -> 4;
            case "i64" -> 8;
            default -> throw new IllegalStateException(where + "unknown dtype " + dtype);
        };
        if (offset < 0 || offset + (long) width * n > data.capacity()) {
            throw new IllegalStateException(where + width * n + " bytes at offset " + offset
                    + " run past the end of parity.bin (" + data.capacity() + " bytes); regenerate both files");
        }
        ByteBuffer slice = data.slice(offset, width * n).order(ByteOrder.LITTLE_ENDIAN);
        if (width == 4) {
            float[] v = new float[n];
            slice.asFloatBuffer().get(v);
            return Tensor.of(v, shape);
        }
        long[] v = new long[n];
        slice.asLongBuffer().get(v);
        return Tensor.ofLongs(v, shape);
    }

    private static byte[] resource(String file) {
        try (InputStream in = ModelFixtures.class.getResourceAsStream("/fixtures/" + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /fixtures/" + file
                        + "; run models/src/test/fixtures/make_model_fixtures.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
