package dev.graft.models.data;

import dev.graft.engine.Tensor;

/**
 * A batch from a {@link DataLoader}.
 *
 * @param images  F32 [B, C, S, S], the pipeline's outputs
 * @param labels  I64 [B]
 * @param indices dataset indices of the images, in batch order
 */
public record Batch(Tensor images, Tensor labels, int[] indices) {
    /** Number of images, B. */
    public int size() {
        return indices.length;
    }
}
