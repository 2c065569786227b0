package dev.graft.models.resnet;

import dev.graft.engine.Generator;
import dev.graft.engine.nn.Dropout;
import dev.graft.engine.nn.Linear;
import dev.graft.engine.nn.Module;
import dev.graft.engine.nn.ReLU;
import dev.graft.engine.nn.Sequential;

/**
 * The shape of a classifier head on a network's pooled features, built the way a PyTorch user writes it so that
 * state-dict keys match: the plain head is one {@code nn.Linear} ({@code fc.weight}); with dropout it is
 * {@code nn.Sequential(nn.Dropout(p), nn.Linear(d, classes))} ({@code fc.1.weight}); with a hidden layer it is
 * {@code nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Dropout(p), nn.Linear(hidden, classes))}
 * ({@code fc.0.weight}, {@code fc.3.weight}).
 *
 * @param hidden  width of the hidden layer, 0 for none
 * @param dropout dropout probability before the last Linear, 0 for none
 */
public record HeadSpec(int hidden, double dropout) {
    /** torchvision's own head: one Linear layer. */
    public static final HeadSpec LINEAR = new HeadSpec(0, 0);

    public HeadSpec {
        if (hidden < 0 || !(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("head: hidden must be >= 0 and dropout in [0, 1), got " + hidden
                    + " and " + dropout);
        }
    }

    public boolean isLinear() {
        return hidden == 0 && dropout == 0;
    }

    /** A freshly initialised head (PyTorch's default Linear initialisation) from {@code features} to {@code classes}. */
    Module build(int features, int classes, Generator gen) {
        if (isLinear()) {
            return new Linear(features, classes, true, gen);
        }
        if (hidden == 0) {
            return new Sequential(new Dropout(dropout, gen), new Linear(features, classes, true, gen));
        }
        return new Sequential(new Linear(features, hidden, true, gen), new ReLU(), new Dropout(dropout, gen),
                new Linear(hidden, classes, true, gen));
    }

    @Override
    public String toString() {
        return isLinear() ? "linear" : "hidden=" + hidden + ", dropout=" + dropout;
    }
}
