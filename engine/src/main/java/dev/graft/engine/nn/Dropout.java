package dev.graft.engine.nn;

import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;

/**
 * In training mode zeroes each element with probability p and scales the rest by 1 / (1 - p); the identity
 * in evaluation mode. Masks come from its own seeded generator, so runs are reproducible.
 */
public final class Dropout extends Module {
    private final double p;
    private Generator gen;

    public Dropout(double p, Generator gen) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: probability must be in [0, 1], got " + p);
        }
        this.p = p;
        this.gen = gen;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.dropout(x, p, isTraining(), gen);
    }

    /** Restarts the mask stream from {@code seed}, so a resumed run draws the masks the uninterrupted one would. */
    public void reseed(long seed) {
        gen = new Generator(seed);
    }

    public double p() {
        return p;
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }
}
