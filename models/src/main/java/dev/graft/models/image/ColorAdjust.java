package dev.graft.models.image;

/**
 * torchvision's {@code adjust_brightness}, {@code adjust_contrast} and {@code adjust_saturation}, as its
 * tensor implementation computes them in float32: {@code clamp(f · image + (1 − f) · other, 0, 1)} with
 * {@code other} black, the image's mean grey, or each pixel's grey, grey being
 * {@code 0.2989 R + 0.587 G + 0.114 B}. Results agree with torchvision's on float tensors to float32
 * rounding.
 *
 * <p>On PIL images (what a torchvision training script normally adjusts) Pillow's {@code ImageEnhance} works
 * in 8 bits: its grey is {@code (299 R + 587 G + 114 B) / 1000} rounded to a level per pixel, the contrast
 * mean is rounded to a level, and every blended sample is truncated, not rounded, to a level. graft keeps
 * full precision, so it lies above Pillow by less than one level (1/255) for brightness, and for contrast and
 * saturation by less than {@code 1 + 0.53 · |1 − f|} levels (the grey's rounding, scaled by the blend, plus
 * the truncation): at most 1.2 levels for ColorJitter's 0.4 range. The tests hold graft to both bounds.
 */
public final class ColorAdjust {
    private static final float RED = 0.2989f;
    private static final float GREEN = 0.587f;
    private static final float BLUE = 0.114f;

    private ColorAdjust() {
    }

    /** Scales every sample by {@code factor} (0 gives black, 1 the image itself). */
    public static FloatImage brightness(FloatImage image, double factor) {
        check("brightness", image, factor);
        float f = (float) factor;
        float[] src = image.data();
        float[] out = new float[src.length];
        for (int i = 0; i < src.length; i++) {
            // torchvision's blend with a black image, f·x + (1 − f)·0, is f·x exactly.
            out[i] = Math.clamp(f * src[i], 0f, 1f);
        }
        return with(image, out);
    }

    /**
     * Blends with the image's mean grey level (0 gives flat grey, 1 the image itself); of a one-channel image
     * the mean of its samples.
     */
    public static FloatImage contrast(FloatImage image, double factor) {
        check("contrast", image, factor);
        float[] grey = image.channels() == 1 ? image.data() : grey(image);
        double sum = 0;
        for (float g : grey) {
            sum += g;
        }
        float mean = (float) (sum / grey.length);
        float[] src = image.data();
        float[] out = new float[src.length];
        for (int i = 0; i < src.length; i++) {
            out[i] = blend(src[i], mean, factor);
        }
        return with(image, out);
    }

    /**
     * Blends each pixel with its own grey (0 gives the grey image, 1 the image itself); a one-channel image
     * is returned as it is, as torchvision and Pillow return it.
     */
    public static FloatImage saturation(FloatImage image, double factor) {
        check("saturation", image, factor);
        if (image.channels() == 1) {
            return image;
        }
        float[] grey = grey(image);
        int plane = image.plane();
        float[] src = image.data();
        float[] out = new float[src.length];
        for (int i = 0; i < src.length; i++) {
            out[i] = blend(src[i], grey[i % plane], factor);
        }
        return with(image, out);
    }

    /** torchvision's {@code _blend} in float32: the factor and its complement are rounded to float first. */
    private static float blend(float image, float other, double factor) {
        return Math.clamp((float) factor * image + (float) (1 - factor) * other, 0f, 1f);
    }

    private static float[] grey(FloatImage image) {
        int plane = image.plane();
        float[] src = image.data();
        float[] grey = new float[plane];
        for (int i = 0; i < plane; i++) {
            grey[i] = RED * src[i] + GREEN * src[plane + i] + BLUE * src[2 * plane + i];
        }
        return grey;
    }

    private static void check(String op, FloatImage image, double factor) {
        if (!(factor >= 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("adjust " + op + ": factor must be finite and >= 0, got " + factor);
        }
        if (image.channels() != 1 && image.channels() != 3) {
            throw new IllegalArgumentException("adjust " + op + ": expected a grey or RGB image, got "
                    + image.channels() + " channels");
        }
    }

    private static FloatImage with(FloatImage image, float[] data) {
        return new FloatImage(image.channels(), image.height(), image.width(), data);
    }
}
