package dev.graft.models.data;

import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Independent, reproducible random streams keyed by a seed and a few integers (purpose, epoch, position, ...),
 * so that every random choice depends on what it is for and never on the order in which threads ask. The
 * algorithm (L64X128MixRandom, as {@code dev.graft.engine.Generator} uses) is fixed, so a key gives the same
 * stream on every JVM.
 */
final class RandomStreams {
    /** Purposes, the first key of every stream. */
    static final long ORDER = 1;
    static final long AUGMENT = 2;
    static final long SPLIT = 3;

    private static final RandomGeneratorFactory<RandomGenerator> LXM = RandomGeneratorFactory.of("L64X128MixRandom");
    private static final long GOLDEN = 0x9e3779b97f4a7c15L;

    private RandomStreams() {
    }

    static RandomGenerator of(long seed, long... keys) {
        long state = mix(seed + GOLDEN);
        for (long key : keys) {
            state = mix(state + mix(key ^ GOLDEN));
        }
        return LXM.create(state);
    }

    /** SplitMix64's finaliser: a bijection that spreads every input bit over the output. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
