package dev.graft.engine;

/**
 * A flat block of elements owned by a {@link Backend}. Tensors are views (shape, strides, offset) over a
 * storage; several tensors may share one. The CPU backend keeps a Java array, the CUDA backend device memory.
 */
public interface Storage {
    DType dtype();

    /** Number of elements. */
    int size();

    Backend backend();

    /**
     * Whether the backend has taken this storage's memory back for reuse (the CPU backend's
     * {@code StepMemory} does at the end of a training step); {@link Tensor#storage()} refuses such a tensor.
     */
    default boolean recycled() {
        return false;
    }
}
