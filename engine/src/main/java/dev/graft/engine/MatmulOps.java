package dev.graft.engine;

/** Batched matrix products. */
public interface MatmulOps {
    /**
     * Batched product of {@code a [B, M, K]} and {@code b [B, K, N]} into {@code [B, M, N]}. Either operand may be
     * a transposed view of a contiguous matrix (last two strides swapped) so that backward passes need no copy;
     * the batch stride may be 0 (one matrix shared by the batch).
     */
    Tensor matmul(Tensor a, Tensor b);
}
