package dev.graft.models.image;

import dev.graft.models.Preprocessing.Interpolation;
import dev.graft.models.image.TorchvisionCases.Case;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Resize}, {@link Crop}, {@link Flip} and {@link ColorAdjust} against torchvision's functional
 * transforms on 8-bit PIL images and on float tensors ({@link TorchvisionCases}).
 */
class TransformsTest {
    private static final float LEVEL = 1 / 255f;
    /** Slack for float32 rounding when comparing with a level bound. */
    private static final float EPS = 1e-6f;

    @Test
    void resizeMatchesPillowToOneLevel() {
        List<Case> cases = TorchvisionCases.of("resize", "resize_shorter");
        assertEquals(6, cases.size());
        for (Case c : cases) {
            FloatImage out = c.op().equals("resize")
                    ? Resize.to(c.input(), c.intArg(0), c.intArg(1), filter(c.args().get(2)))
                    : Resize.shorterSide(c.input(), c.intArg(0), filter(c.args().get(1)));
            // Pillow resamples 8-bit images in fixed point and rounds after each pass; graft does not round.
            assertWithinLevels(c, out, 1);
        }
    }

    @Test
    void resizeToTheSameSizeIsTheImageItself() {
        FloatImage image = new FloatImage(1, 2, 3, new float[6]);
        assertSame(image, Resize.to(image, 2, 3, Interpolation.BILINEAR));
        assertSame(image, Resize.shorterSide(image, 2, Interpolation.BICUBIC));
    }

    @Test
    void centerCropMatchesTorchvisionExactly() {
        List<Case> cases = TorchvisionCases.of("center_crop");
        assertEquals(3, cases.size());
        for (Case c : cases) {
            FloatImage out = Crop.center(c.input(), c.intArg(0), c.intArg(1));
            assertWithinLevels(c, out, 0);
        }
    }

    @Test
    void resizedCropMatchesPillowToOneLevel() {
        List<Case> cases = TorchvisionCases.of("resized_crop");
        assertEquals(2, cases.size());
        for (Case c : cases) {
            FloatImage crop = Crop.region(c.input(), c.intArg(0), c.intArg(1), c.intArg(2), c.intArg(3));
            assertWithinLevels(c, Resize.to(crop, c.intArg(4), c.intArg(4), filter(c.args().get(5))), 1);
        }
    }

    @Test
    void evalGeometryMatchesTorchvisionToOneLevel() {
        List<Case> cases = TorchvisionCases.of("eval");
        assertEquals(2, cases.size());
        for (Case c : cases) {
            FloatImage resized = Resize.shorterSide(c.input(), c.intArg(0), filter(c.args().get(2)));
            assertWithinLevels(c, Crop.center(resized, c.intArg(1), c.intArg(1)), 1);
        }
    }

    @Test
    void horizontalFlipMatchesTorchvisionExactly() {
        List<Case> cases = TorchvisionCases.of("hflip");
        assertEquals(1, cases.size());
        assertWithinLevels(cases.getFirst(), Flip.horizontal(cases.getFirst().input()), 0);
    }

    @Test
    void colourAdjustmentsMatchTorchvisionOnTensors() {
        List<Case> cases = TorchvisionCases.of("brightness", "contrast", "saturation").stream()
                .filter(c -> !c.pil()).toList();
        assertEquals(8, cases.size());
        for (Case c : cases) {
            float[] got = adjust(c).data();
            float worst = 0;
            for (int i = 0; i < got.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - c.expected()[i]));
            }
            // Same float32 formula; only the mean's summation order differs (contrast).
            assertTrue(worst <= 1e-6f, c.name() + ": max |Δ| " + worst);
        }
    }

    @Test
    void colourAdjustmentsDifferFromPillowOnlyByItsEightBitRounding() {
        List<Case> cases = TorchvisionCases.of("brightness", "contrast", "saturation").stream()
                .filter(Case::pil).toList();
        assertEquals(11, cases.size());
        for (Case c : cases) {
            float[] got = adjust(c).data();
            // Pillow truncates the exact blend to a level: graft lies above it by less than a level. Its grey
            // (contrast, saturation) is rounded to a level first, which the blend scales by |1 - f|, either way.
            double grey = c.op().equals("brightness") ? 0 : 0.53 * Math.abs(1 - c.arg(0));
            double below = 0;
            double above = 0;
            for (int i = 0; i < got.length; i++) {
                double delta = got[i] * 255.0 - c.expected()[i];
                below = Math.max(below, -delta);
                above = Math.max(above, delta);
            }
            assertTrue(below <= grey + 1e-3 && above <= 1 + grey + 1e-3, String.format(Locale.ROOT,
                    "%s: graft − Pillow in [%.3f, %.3f] levels, allowed [%.3f, %.3f]", c.name(), -below, above,
                    -grey, 1 + grey));
        }
    }

    @Test
    void adjustmentsRejectBadFactorsAndChannelCounts() {
        FloatImage rgb = new FloatImage(3, 1, 1, new float[3]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ColorAdjust.contrast(rgb, -0.5));
        assertTrue(e.getMessage().contains("-0.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ColorAdjust.brightness(rgb, Double.NaN));
        assertThrows(IllegalArgumentException.class,
                () -> ColorAdjust.saturation(new FloatImage(2, 1, 1, new float[2]), 1));
        assertThrows(IllegalArgumentException.class, () -> Resize.to(rgb, 0, 4, Interpolation.BILINEAR));
        assertThrows(IllegalArgumentException.class, () -> Crop.region(rgb, 0, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new FloatImage(3, 2, 2, new float[11]));
    }

    /** Crop.region equals its per-pixel definition: the source sample where inside the image, else 0. */
    @Property(tries = 200)
    void cropRegionIsTheWindowWithZerosOutside(@ForAll @IntRange(min = 1, max = 7) int h,
                                               @ForAll @IntRange(min = 1, max = 7) int w,
                                               @ForAll @IntRange(min = -8, max = 8) int top,
                                               @ForAll @IntRange(min = -8, max = 8) int left,
                                               @ForAll @IntRange(min = 1, max = 9) int height,
                                               @ForAll @IntRange(min = 1, max = 9) int width,
                                               @ForAll @IntRange(min = 0, max = 999) int seed) {
        FloatImage image = random(2, h, w, seed);
        FloatImage crop = Crop.region(image, top, left, height, width);
        assertArrayEquals(window(image, top, left, height, width), crop.data());
    }

    @Test
    void windowCheckerRejectsAnOffByOneCrop() {
        FloatImage image = random(1, 4, 4, 7);
        assertFalse(Arrays.equals(window(image, 0, 1, 2, 2), Crop.region(image, 0, 0, 2, 2).data()));
        assertFalse(Arrays.equals(window(image, -1, 0, 2, 2), Crop.region(image, 0, 0, 2, 2).data()));
    }

    @Property(tries = 100)
    void flippingTwiceRestoresTheImage(@ForAll @IntRange(min = 1, max = 3) int c,
                                       @ForAll @IntRange(min = 1, max = 9) int h,
                                       @ForAll @IntRange(min = 1, max = 9) int w,
                                       @ForAll @IntRange(min = 0, max = 999) int seed) {
        FloatImage image = random(c, h, w, seed);
        FloatImage flipped = Flip.horizontal(image);
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    assertEquals(image.data()[(ch * h + y) * w + x], flipped.data()[(ch * h + y) * w + w - 1 - x]);
                }
            }
        }
        assertArrayEquals(image.data(), Flip.horizontal(flipped).data());
    }

    private static float[] window(FloatImage image, int top, int left, int height, int width) {
        float[] out = new float[image.channels() * height * width];
        for (int c = 0; c < image.channels(); c++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int sy = top + y;
                    int sx = left + x;
                    boolean inside = sy >= 0 && sy < image.height() && sx >= 0 && sx < image.width();
                    out[(c * height + y) * width + x] =
                            inside ? image.data()[(c * image.height() + sy) * image.width() + sx] : 0;
                }
            }
        }
        return out;
    }

    private static FloatImage random(int c, int h, int w, long seed) {
        Random random = new Random(seed);
        float[] data = new float[c * h * w];
        for (int i = 0; i < data.length; i++) {
            data[i] = 0.01f + random.nextFloat();
        }
        return new FloatImage(c, h, w, data);
    }

    private static FloatImage adjust(Case c) {
        return switch (c.op()) {
            case "brightness" -> ColorAdjust.brightness(c.input(), c.arg(0));
            case "contrast" -> ColorAdjust.contrast(c.input(), c.arg(0));
            case "saturation" -> ColorAdjust.saturation(c.input(), c.arg(0));
            default -> throw new IllegalArgumentException(c.op());
        };
    }

    private static Interpolation filter(String name) {
        return Interpolation.valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** Output shape equals the case's, and every sample is within {@code levels}/255 of Pillow's level. */
    private static void assertWithinLevels(Case c, FloatImage out, int levels) {
        assertArrayEquals(new int[] {c.channels(), c.height(), c.width()},
                new int[] {out.channels(), out.height(), out.width()}, c.name() + ": shape");
        float worst = 0;
        for (int i = 0; i < out.data().length; i++) {
            worst = Math.max(worst, Math.abs(out.data()[i] - c.expected()[i] / 255f));
        }
        assertTrue(worst <= levels * LEVEL + EPS, c.name() + ": max |Δ| " + worst * 255 + " levels > " + levels);
    }
}
