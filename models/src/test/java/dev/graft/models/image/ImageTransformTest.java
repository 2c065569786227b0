package dev.graft.models.image;

import dev.graft.engine.Tensor;
import dev.graft.models.Preprocessing;
import dev.graft.models.Preprocessing.Interpolation;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Resampler} and {@link ImageTransform} against Pillow and torchvision on float images, from
 * {@code fixtures/image/transforms.txt} (written by {@code models/src/test/fixtures/make_image_fixtures.py},
 * whose docstring defines the format).
 */
class ImageTransformTest {
    private static final List<Double> MEAN = List.of(0.485, 0.456, 0.406);
    private static final List<Double> STD = List.of(0.229, 0.224, 0.225);

    /** A header line with its input and expected output. */
    private record Case(String[] header, float[] in, float[] out) {
        String name() {
            return header[1];
        }

        int field(int i) {
            return Integer.parseInt(header[i]);
        }

        Interpolation filter() {
            return Interpolation.valueOf(header[2].toUpperCase(Locale.ROOT));
        }
    }

    @Test
    void resamplingMatchesPillowFloatImages() throws IOException {
        List<Case> cases = cases("resize");
        assertEquals(5, cases.size());
        for (Case c : cases) {
            float[] got = Resampler.resize(c.in(), c.field(3), c.field(4), c.field(5), c.field(6), c.field(7),
                    c.filter());
            // Same weights, float64 accumulation in the same order, one rounding to float32: bit-identical
            // against an x86-64 Pillow; the tolerance allows for a build that fuses multiply-adds.
            assertClose(c.name(), c.out(), got, 1e-6f);
        }
    }

    @Test
    void transformMatchesTorchvisionCompose() throws IOException {
        List<Case> cases = cases("transform");
        assertEquals(4, cases.size());
        for (Case c : cases) {
            int size = c.field(6);
            OptionalInt resize = c.header()[7].equals("-") ? OptionalInt.empty()
                    : OptionalInt.of(Integer.parseInt(c.header()[7]));
            ImageTransform t = new ImageTransform(new Preprocessing(size, resize, c.filter(), MEAN, STD));
            Tensor out = t.apply(Tensor.of(c.in(), 3, c.field(4), c.field(5)));
            assertArrayEquals(new int[] {3, size, size}, out.shape(), c.name());
            assertClose(c.name(), c.out(), out.toFloatArray(), 1e-5f);
        }
    }

    @Test
    void unresizedImageIsNormalisedExactlyAsTorchvision() {
        // torchvision: (x - float32(mean)) / float32(std) in float32; 0.5 in channel 0 gives this exact float.
        float[] pixels = new float[3 * 32 * 32];
        Arrays.fill(pixels, 0.5f);
        Tensor out = cifar().apply(Tensor.of(pixels, 3, 32, 32));
        assertEquals((0.5f - 0.485f) / 0.229f, out.toFloatArray()[0]);
        assertEquals((0.5f - 0.406f) / 0.225f, out.toFloatArray()[2 * 32 * 32]);
    }

    @Test
    void batchesAndRejectsWrongChannelCounts() {
        ImageTransform t = cifar();
        Tensor gray = Tensor.zeros(1, 32, 32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.apply(gray));
        assertTrue(e.getMessage().contains("[3, H, W]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.loadBatch(List.of()));
    }

    private static ImageTransform cifar() {
        return new ImageTransform(new Preprocessing(32, OptionalInt.empty(), Interpolation.BILINEAR, MEAN, STD));
    }

    private static void assertClose(String name, float[] expected, float[] actual, float tolerance) {
        assertEquals(expected.length, actual.length, name + ": length");
        float worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= tolerance, name + ": max |Δ| " + worst + " > " + tolerance);
    }

    private static List<Case> cases(String kind) throws IOException {
        String text;
        try (InputStream in = ImageTransformTest.class.getResourceAsStream("/fixtures/image/transforms.txt")) {
            if (in == null) {
                throw new IllegalStateException("missing /fixtures/image/transforms.txt; run"
                        + " models/src/test/fixtures/make_image_fixtures.py");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> lines = text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i + 2 < lines.size(); i += 3) {
            String[] header = lines.get(i).split(" ");
            if (header[0].equals(kind)) {
                cases.add(new Case(header, floats(lines.get(i + 1), "in"), floats(lines.get(i + 2), "out")));
            }
        }
        return cases;
    }

    private static float[] floats(String line, String tag) {
        String[] f = line.split(" ");
        if (!f[0].equals(tag)) {
            throw new IllegalStateException("transforms.txt: expected an '" + tag + "' line, got " + f[0]);
        }
        float[] v = new float[f.length - 1];
        for (int i = 1; i < f.length; i++) {
            v[i - 1] = Float.parseFloat(f[i]);
        }
        return v;
    }
}
