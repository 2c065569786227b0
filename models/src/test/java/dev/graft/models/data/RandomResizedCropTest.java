package dev.graft.models.data;

import dev.graft.models.Preprocessing.Interpolation;
import dev.graft.models.data.RandomResizedCrop.Box;
import dev.graft.models.image.Crop;
import dev.graft.models.image.FloatImage;
import dev.graft.models.image.Resize;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The crop-box sampler of {@link RandomResizedCrop} follows torchvision's {@code get_params}. */
class RandomResizedCropTest {
    /** Always draws the top of every range: every try then asks for the largest, widest box. */
    private static final RandomGenerator HIGHEST = () -> -1L;

    @Property(tries = 1000)
    void boxesFitTheImageAndTheScaleAndRatioRangesOrAreTheCentralFallback(
            @ForAll @IntRange(min = 1, max = 400) int height, @ForAll @IntRange(min = 1, max = 400) int width,
            @ForAll @DoubleRange(min = 0.01, max = 1) double scaleA,
            @ForAll @DoubleRange(min = 0.01, max = 1) double scaleB,
            @ForAll @DoubleRange(min = 0.2, max = 5) double ratioA,
            @ForAll @DoubleRange(min = 0.2, max = 5) double ratioB,
            @ForAll long seed) {
        RandomResizedCrop crop = new RandomResizedCrop(8, Math.min(scaleA, scaleB), Math.max(scaleA, scaleB),
                Math.min(ratioA, ratioB), Math.max(ratioA, ratioB), Interpolation.BILINEAR);
        Box box = crop.box(height, width, RandomStreams.of(seed, 0));
        assertEquals(List.of(), violations(crop, height, width, box));
    }

    @Test
    void checkerRejectsBoxesOutsideTheRanges() {
        RandomResizedCrop crop = new RandomResizedCrop(8, 0.08, 1, 3.0 / 4, 4.0 / 3, Interpolation.BILINEAR);
        assertEquals(List.of(), violations(crop, 100, 100, new Box(10, 20, 50, 60)));
        assertFalse(violations(crop, 100, 100, new Box(0, 0, 20, 60)).isEmpty(), "ratio 3");
        assertFalse(violations(crop, 100, 100, new Box(0, 0, 5, 5)).isEmpty(), "area 0.25%");
        assertFalse(violations(crop, 100, 100, new Box(60, 0, 50, 50)).isEmpty(), "outside the image");
        // On a 10×1000 image no box of ratio ≤ 4/3 that fits has 8% of the area; only the centred fallback,
        // h = 10, w = round(10 · 4/3) = 13, left = (1000 − 13) // 2 = 493, is right.
        assertEquals(List.of(), violations(crop, 10, 1000, new Box(0, 493, 10, 13)));
        assertFalse(violations(crop, 10, 1000, new Box(0, 0, 10, 13)).isEmpty(), "uncentred fallback");
    }

    @Test
    void afterTenFailedTriesTheFallbackIsTorchvisionsCentralCrop() {
        RandomResizedCrop crop = new RandomResizedCrop(8, 0.08, 1, 3.0 / 4, 4.0 / 3, Interpolation.BILINEAR);
        // A full-area box of ratio 4/3 is 12×9 on a 10×10 image, too wide; the image's own ratio 1 is in range.
        assertEquals(new Box(0, 0, 10, 10), crop.box(10, 10, HIGHEST));
        // 10×100 (ratio 10): h = 10, w = round(10 · 4/3) = 13, left = (100 − 13) // 2 = 43.
        assertEquals(new Box(0, 43, 10, 13), crop.box(10, 100, HIGHEST));
        // 100×10 (ratio 0.1): w = 10, h = round(10 / (3/4)) = 13, top = 43.
        assertEquals(new Box(43, 0, 13, 10), crop.box(100, 10, HIGHEST));
        // torchvision would make the width round(1 · 0.4) = 0 here; graft keeps one pixel.
        RandomResizedCrop tall = new RandomResizedCrop(8, 0.5, 1, 0.2, 0.4, Interpolation.BILINEAR);
        assertEquals(new Box(0, 2, 1, 1), tall.box(1, 5, HIGHEST));
    }

    @Test
    void largeImagesAreCroppedAtRandomNotByTheFallback() {
        RandomResizedCrop crop = new RandomResizedCrop(8, 0.08, 1, 3.0 / 4, 4.0 / 3, Interpolation.BILINEAR);
        List<Box> boxes = new ArrayList<>();
        for (int seed = 0; seed < 200; seed++) {
            boxes.add(crop.box(300, 400, RandomStreams.of(seed, 0)));
        }
        long distinct = boxes.stream().distinct().count();
        double meanArea = boxes.stream().mapToDouble(b -> b.height() * b.width() / 120000.0).average().orElseThrow();
        assertTrue(distinct > 190, "distinct boxes: " + distinct);
        // Uniform scale in [0.08, 1] has mean 0.54; only too-large tries are rejected, lowering it a little.
        assertTrue(meanArea > 0.4 && meanArea < 0.6, "mean area fraction " + meanArea);
    }

    @Test
    void applyCropsTheDrawnBoxAndResizesIt() {
        RandomResizedCrop crop = new RandomResizedCrop(6, 0.3, 0.9, 0.5, 2, Interpolation.BILINEAR);
        Random random = new Random(3);
        float[] pixels = new float[3 * 20 * 30];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = random.nextFloat();
        }
        FloatImage image = new FloatImage(3, 20, 30, pixels);
        Box box = crop.box(20, 30, RandomStreams.of(9, 1));
        FloatImage expected = Resize.to(Crop.region(image, box.top(), box.left(), box.height(), box.width()), 6, 6,
                Interpolation.BILINEAR);
        assertArrayEquals(expected.data(), crop.apply(image, RandomStreams.of(9, 1)).data());
    }

    @Test
    void rejectsEmptyOrInvertedRanges() {
        assertThrows(IllegalArgumentException.class,
                () -> new RandomResizedCrop(8, 0.5, 0.4, 0.75, 1.33, Interpolation.BILINEAR));
        assertThrows(IllegalArgumentException.class,
                () -> new RandomResizedCrop(8, 0, 1, 0.75, 1.33, Interpolation.BILINEAR));
        assertThrows(IllegalArgumentException.class,
                () -> new RandomResizedCrop(0, 0.08, 1, 0.75, 1.33, Interpolation.BILINEAR));
    }

    /**
     * What is wrong with {@code box}: it must lie inside the image and either come from a successful try, whose
     * sides are round(√(A·r)) and round(√(A/r)) for an area A in the scale range and a ratio r in the ratio range
     * (so within half a pixel of such sides), or be the central fallback box.
     */
    private static List<String> violations(RandomResizedCrop crop, int height, int width, Box box) {
        List<String> problems = new ArrayList<>();
        if (box.top() < 0 || box.left() < 0 || box.height() < 1 || box.width() < 1
                || box.top() + box.height() > height || box.left() + box.width() > width) {
            problems.add(box + " does not fit a " + height + "×" + width + " image");
            return problems;
        }
        double area = (double) height * width;
        double h = box.height();
        double w = box.width();
        boolean areaFits = (w - 0.5) * (h - 0.5) <= crop.maxScale() * area + 1e-9
                && (w + 0.5) * (h + 0.5) >= crop.minScale() * area - 1e-9;
        boolean ratioFits = (w - 0.5) / (h + 0.5) <= crop.maxRatio() + 1e-9
                && (w + 0.5) / (h - 0.5) >= crop.minRatio() - 1e-9;
        if (!(areaFits && ratioFits) && !box.equals(fallback(crop, height, width))) {
            problems.add(box + " is neither within the scale and ratio ranges nor the fallback "
                    + fallback(crop, height, width));
        }
        return problems;
    }

    /** torchvision's fallback, written out again independently, with graft's one-pixel minimum. */
    private static Box fallback(RandomResizedCrop crop, int height, int width) {
        double inRatio = (double) width / height;
        int w = width;
        int h = height;
        if (inRatio < crop.minRatio()) {
            h = Math.max(1, (int) Math.rint(width / crop.minRatio()));
        } else if (inRatio > crop.maxRatio()) {
            w = Math.max(1, (int) Math.rint(height * crop.maxRatio()));
        }
        return new Box(Math.floorDiv(height - h, 2), Math.floorDiv(width - w, 2), h, w);
    }
}
