package dev.graft.models.data;

import dev.graft.models.image.Flip;
import dev.graft.models.image.FloatImage;

import java.util.random.RandomGenerator;

/** torchvision's {@code RandomHorizontalFlip(p)}: mirrors the image with probability {@code p}. */
record RandomHorizontalFlip(double p) implements Step {
    RandomHorizontalFlip {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("RandomHorizontalFlip: p must be in [0, 1], got " + p);
        }
    }

    @Override
    public FloatImage apply(FloatImage image, RandomGenerator rng) {
        return rng.nextDouble() < p ? Flip.horizontal(image) : image;
    }

    @Override
    public boolean random() {
        return true;
    }

    @Override
    public String toString() {
        return "RandomHorizontalFlip(" + p + ")";
    }
}
