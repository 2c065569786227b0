package dev.graft.engine;

import java.util.OptionalLong;

/**
 * Storage and transfers of a {@link Backend}. Moving data between backends always goes through the host and
 * says which side does the work: the destination backend uploads host arrays, the owning backend downloads
 * them. {@link #copy} and {@link #fill} work within one backend only.
 */
public interface MemoryOps {
    /** A zero-filled storage. */
    Storage allocate(DType dtype, int size);

    /** A storage holding {@code data}, which the caller hands over and no longer touches (may be kept as is). */
    Storage upload(float[] data);

    Storage upload(double[] data);

    Storage upload(long[] data);

    /** The elements of a (possibly strided) tensor of this backend in row-major order, converted to double. */
    double[] downloadDoubles(Tensor t);

    float[] downloadFloats(Tensor t);

    long[] downloadLongs(Tensor t);

    /** Copies {@code src} into the same-shaped, possibly strided view {@code dst}, converting dtypes. */
    void copy(Tensor src, Tensor dst);

    void fill(Tensor dst, double value);

    /**
     * The caller is done with {@code storage} and no tensor it can still reach uses it, so the backend may reuse
     * the memory at once; autograd calls this for the gradients a backward pass made and consumed. A no-op by
     * default: memory is then reclaimed when the storage becomes unreachable.
     */
    default void release(Storage storage) {
    }

    /**
     * Returns once every operation queued on this backend has finished, so that wall-clock timing measures the
     * work; a no-op for a backend that computes synchronously (the CPU).
     */
    default void synchronize() {
    }

    /**
     * The most memory this backend's tensors held at once since the last {@link #resetPeakMemory()}, in bytes;
     * empty when the backend does not track it (the CPU leaves memory to the JVM's heap).
     */
    default OptionalLong peakMemoryBytes() {
        return OptionalLong.empty();
    }

    default void resetPeakMemory() {
    }
}
