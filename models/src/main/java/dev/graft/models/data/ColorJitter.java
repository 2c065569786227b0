package dev.graft.models.data;

import dev.graft.models.image.ColorAdjust;
import dev.graft.models.image.FloatImage;

import java.util.random.RandomGenerator;

/**
 * torchvision's {@code ColorJitter(brightness, contrast, saturation)} (no hue): each adjustment whose strength
 * {@code s} is non-zero gets a factor uniform in {@code [max(0, 1 − s), 1 + s]}, and the adjustments run in a
 * uniformly random order, as torchvision's {@code randperm} orders them.
 */
record ColorJitter(double brightness, double contrast, double saturation) implements Step {
    ColorJitter {
        for (double s : new double[] {brightness, contrast, saturation}) {
            if (!(s >= 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("ColorJitter: strengths must be finite and >= 0, got "
                        + brightness + ", " + contrast + ", " + saturation);
            }
        }
    }

    @Override
    public FloatImage apply(FloatImage image, RandomGenerator rng) {
        int[] order = {0, 1, 2};
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double b = factor(brightness, rng);
        double c = factor(contrast, rng);
        double s = factor(saturation, rng);
        FloatImage out = image;
        for (int op : order) {
            out = switch (op) {
                case 0 -> brightness > 0 ? ColorAdjust.brightness(out, b) : out;
                case 1 -> contrast > 0 ? ColorAdjust.contrast(out, c) : out;
                default -> saturation > 0 ? ColorAdjust.saturation(out, s) : out;
            };
        }
        return out;
    }

    /** The factor for an adjustment of strength {@code s}; 1 (and no draw) when it is off. */
    private static double factor(double s, RandomGenerator rng) {
        if (s == 0) {
            return 1;
        }
        double lo = Math.max(0, 1 - s);
        return lo + (1 + s - lo) * rng.nextDouble();
    }

    @Override
    public boolean random() {
        return true;
    }

    @Override
    public String toString() {
        return "ColorJitter(brightness=" + brightness + ", contrast=" + contrast + ", saturation=" + saturation + ")";
    }
}
