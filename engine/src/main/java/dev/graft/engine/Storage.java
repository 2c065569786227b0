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
}
