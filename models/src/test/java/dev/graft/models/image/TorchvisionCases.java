package dev.graft.models.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The torchvision references of {@code fixtures/transforms/cases.txt}, written by
 * {@code models/src/test/fixtures/make_transform_fixtures.py} (whose docstring defines the format).
 */
public final class TorchvisionCases {
    /**
     * One case: torchvision's {@code op(args)} of {@code input}; {@code expected} holds the 8-bit levels of
     * a PIL result ({@code pil} true) or the float32 values of a tensor result, in CHW order.
     */
    public record Case(String name, boolean pil, FloatImage input, int channels, int height, int width, String op,
                       List<String> args, float[] expected) {
        public double arg(int i) {
            return Double.parseDouble(args.get(i));
        }

        public int intArg(int i) {
            return Integer.parseInt(args.get(i));
        }
    }

    private static final List<Case> CASES = load();

    private TorchvisionCases() {
    }

    /** The cases whose op is one of {@code ops}, in file order. */
    public static List<Case> of(String... ops) {
        List<String> wanted = List.of(ops);
        return CASES.stream().filter(c -> wanted.contains(c.op())).toList();
    }

    private static List<Case> load() {
        List<String> lines;
        try (InputStream in = TorchvisionCases.class.getResourceAsStream("/fixtures/transforms/cases.txt")) {
            if (in == null) {
                throw new IllegalStateException("missing /fixtures/transforms/cases.txt; run"
                        + " models/src/test/fixtures/make_transform_fixtures.py");
            }
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, FloatImage> inputs = new HashMap<>();
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            String[] h = lines.get(i).split(" ");
            float[] values = values(lines.get(i + 1));
            switch (h[0]) {
                case "input" -> {
                    for (int j = 0; j < values.length; j++) {
                        values[j] /= 255f; // ToTensor: levels divided by 255 in float32
                    }
                    inputs.put(h[1], new FloatImage(Integer.parseInt(h[2]), Integer.parseInt(h[3]),
                            Integer.parseInt(h[4]), values));
                }
                case "case" -> cases.add(new Case(h[1], h[2].equals("pil"), inputs.get(h[3]), Integer.parseInt(h[4]),
                        Integer.parseInt(h[5]), Integer.parseInt(h[6]), h[7], List.of(h).subList(8, h.length),
                        values));
                default -> throw new IllegalStateException("cases.txt: unexpected line " + h[0]);
            }
        }
        return cases;
    }

    private static float[] values(String line) {
        String[] f = line.split(" ");
        if (!f[0].equals("in") && !f[0].equals("out")) {
            throw new IllegalStateException("cases.txt: expected an 'in' or 'out' line, got " + f[0]);
        }
        float[] v = new float[f.length - 1];
        for (int i = 1; i < f.length; i++) {
            v[i - 1] = Float.parseFloat(f[i]);
        }
        return v;
    }
}
