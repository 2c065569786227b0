package dev.graft.models.data;

import dev.graft.models.image.FloatImage;

import java.util.random.RandomGenerator;

/** One stage of a {@link Pipeline}. Implementations are immutable, so a pipeline is safe to share by threads. */
interface Step {
    /** The transformed image; a random step draws from {@code rng}, a deterministic one ignores it. */
    FloatImage apply(FloatImage image, RandomGenerator rng);

    /** Whether {@link #apply} draws random numbers. */
    boolean random();
}
