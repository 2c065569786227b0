package dev.graft.engine;

import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * A seeded source of random numbers for initialisation, dropout and data order. The algorithm
 * (L64X128MixRandom) is fixed, so a seed gives the same stream on every JVM.
 */
public final class Generator {
    private final RandomGenerator random;

    public Generator(long seed) {
        random = RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
    }

    public double nextDouble() {
        return random.nextDouble();
    }

    public double nextGaussian() {
        return random.nextGaussian();
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    public long nextLong() {
        return random.nextLong();
    }

    void fillUniform(float[] v) {
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextFloat();
        }
    }

    void fillNormal(float[] v) {
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
    }
}
