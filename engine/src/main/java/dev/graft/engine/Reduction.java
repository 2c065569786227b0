package dev.graft.engine;

/** How a loss combines its per-sample values, as in PyTorch. */
public enum Reduction {
    NONE, MEAN, SUM
}
