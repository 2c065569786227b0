package dev.graft.engine;

/** Reductions over possibly strided views. */
public interface ReductionOps {
    /** Sum over the dimensions flagged in {@code reduce}; the result keeps them with size 1. */
    Tensor sum(Tensor x, boolean[] reduce);

    /** Maximum along {@code dim} (kept with size 1): {values, I64 indices of the first maximum}. */
    Tensor[] max(Tensor x, int dim);
}
