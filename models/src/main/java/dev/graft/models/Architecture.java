package dev.graft.models;

import dev.graft.engine.Generator;
import dev.graft.models.resnet.StagedNetwork;

/** A named network family member from {@link ModelRegistry}: how to build it and how to feed it. */
public final class Architecture {
    /** Builds the network with a head of {@code numClasses} outputs taking {@code inChannels} input channels. */
    @FunctionalInterface
    interface Factory {
        StagedNetwork create(int numClasses, int inChannels, Generator gen);
    }

    private final String name;
    private final Preprocessing preprocessing;
    private final int defaultNumClasses;
    private final Factory factory;

    Architecture(String name, Preprocessing preprocessing, int defaultNumClasses, Factory factory) {
        this.name = name;
        this.preprocessing = preprocessing;
        this.defaultNumClasses = defaultNumClasses;
        this.factory = factory;
    }

    public String name() {
        return name;
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** The number of classes of the public weights: 1000 (ImageNet) or 10 (CIFAR-10). */
    public int defaultNumClasses() {
        return defaultNumClasses;
    }

    /**
     * A freshly initialised network, drawing its random weights from {@code gen}. With other than
     * {@link Preprocessing#channels()} input channels, the preprocessing's normalisation no longer applies.
     */
    public StagedNetwork build(int numClasses, int inChannels, Generator gen) {
        return factory.create(numClasses, inChannels, gen);
    }

    /** A network with the default number of classes and RGB input. */
    public StagedNetwork build(Generator gen) {
        return build(defaultNumClasses, preprocessing.channels(), gen);
    }

    @Override
    public String toString() {
        return name + " (" + defaultNumClasses + " classes, " + preprocessing + ")";
    }
}
