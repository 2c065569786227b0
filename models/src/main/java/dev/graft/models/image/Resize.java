package dev.graft.models.image;

import dev.graft.models.Preprocessing.Interpolation;

/**
 * torchvision's {@code Resize} on PIL images: Pillow's antialiased resampling ({@link Resampler}), results
 * clipped to [0, 1] as Pillow clips 8-bit images. An image already of the requested size is returned as it
 * is, as torchvision returns it.
 */
public final class Resize {
    private Resize() {
    }

    /**
     * {@code Resize(size)}: the shorter side becomes {@code size}, the longer {@code (int) (size · long / short)}
     * (torchvision truncates), so the aspect ratio is kept to within a pixel.
     */
    public static FloatImage shorterSide(FloatImage image, int size, Interpolation filter) {
        if (size < 1) {
            throw new IllegalArgumentException("resize: size must be >= 1, got " + size);
        }
        int h = image.height();
        int w = image.width();
        int longer = (int) ((double) size * Math.max(h, w) / Math.min(h, w));
        return h <= w ? to(image, size, longer, filter) : to(image, longer, size, filter);
    }

    /** {@code Resize((height, width))}: exactly that size, whatever the aspect ratio. */
    public static FloatImage to(FloatImage image, int height, int width, Interpolation filter) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("resize: sizes must be >= 1, got " + height + "×" + width);
        }
        if (height == image.height() && width == image.width()) {
            return image;
        }
        float[] out = Resampler.resize(image.data(), image.channels(), image.height(), image.width(), height, width,
                filter);
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.clamp(out[i], 0f, 1f);
        }
        return new FloatImage(image.channels(), height, width, out);
    }
}
