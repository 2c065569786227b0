package dev.graft.models.data;

/** The order in which a {@link DataLoader} visits its dataset in an epoch. */
public enum SamplerKind {
    /** Every sample once, in dataset order. */
    SEQUENTIAL,
    /** Every sample once, in a seeded random order that changes with the epoch. */
    SHUFFLE,
    /**
     * As many draws as samples, with replacement, a sample's probability inversely proportional to its class's
     * size, so each class is drawn equally often on average.
     */
    BALANCED
}
