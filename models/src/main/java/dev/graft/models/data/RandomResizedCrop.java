package dev.graft.models.data;

import dev.graft.models.Preprocessing.Interpolation;
import dev.graft.models.image.Crop;
import dev.graft.models.image.FloatImage;
import dev.graft.models.image.Resize;

import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * torchvision's {@code RandomResizedCrop(size, scale, ratio)}: a random box covering a {@code scale} fraction
 * of the image with aspect ratio (width / height) in {@code ratio}, log-uniformly, cropped and resized to
 * {@code size × size}.
 */
record RandomResizedCrop(int size, double minScale, double maxScale, double minRatio, double maxRatio,
                         Interpolation filter) implements Step {
    /** A crop box: top-left corner and size, in pixels. */
    record Box(int top, int left, int height, int width) {
    }

    RandomResizedCrop {
        if (size < 1 || !(0 < minScale && minScale <= maxScale && maxScale <= 1)
                || !(0 < minRatio && minRatio <= maxRatio) || Double.isInfinite(maxRatio)) {
            throw new IllegalArgumentException("RandomResizedCrop: need size >= 1, 0 < scale range <= 1 and a"
                    + " positive ratio range, got " + size + ", (" + minScale + ", " + maxScale + "), (" + minRatio
                    + ", " + maxRatio + ")");
        }
    }

    @Override
    public FloatImage apply(FloatImage image, RandomGenerator rng) {
        Box box = box(image.height(), image.width(), rng);
        FloatImage crop = Crop.region(image, box.top(), box.left(), box.height(), box.width());
        return Resize.to(crop, size, size, filter);
    }

    @Override
    public boolean random() {
        return true;
    }

    /**
     * torchvision's {@code get_params}: up to ten tries of an area uniform in the scale range and a ratio
     * log-uniform in the ratio range, sides rounded half to even; the first that fits is placed uniformly.
     * When none fits, the largest centred box whose ratio is clamped into the range, at least one pixel a side
     * (torchvision's rounding leaves a side of 0 on a one-pixel-wide image with a ratio range far from 1, and
     * then fails).
     */
    Box box(int height, int width, RandomGenerator rng) {
        double area = (double) height * width;
        double logMin = Math.log(minRatio);
        double logMax = Math.log(maxRatio);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * uniform(rng, minScale, maxScale);
            double ratio = Math.exp(uniform(rng, logMin, logMax));
            int w = (int) Math.rint(Math.sqrt(target * ratio));
            int h = (int) Math.rint(Math.sqrt(target / ratio));
            if (0 < w && w <= width && 0 < h && h <= height) {
                return new Box(rng.nextInt(height - h + 1), rng.nextInt(width - w + 1), h, w);
            }
        }
        double inRatio = (double) width / height;
        int w = width;
        int h = height;
        if (inRatio < minRatio) {
            h = Math.max(1, (int) Math.rint(w / minRatio));
        } else if (inRatio > maxRatio) {
            w = Math.max(1, (int) Math.rint(h * maxRatio));
        }
        return new Box((height - h) / 2, (width - w) / 2, h, w);
    }

    /** Uniform in [lo, hi], also when the range is a single value. */
    private static double uniform(RandomGenerator rng, double lo, double hi) {
        return lo + (hi - lo) * rng.nextDouble();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "RandomResizedCrop(%d, scale=(%s, %s), ratio=(%.4g, %.4g), %s)", size,
                minScale, maxScale, minRatio, maxRatio, filter.name().toLowerCase(Locale.ROOT));
    }
}
