package dev.graft.engine;

/**
 * Element types of a {@link Tensor}. F32 is the default for models; F64 exists for gradient checks and
 * reference comparisons; I64 holds class labels, indices and counters such as BatchNorm's
 * {@code num_batches_tracked}, and takes part in no arithmetic.
 */
public enum DType {
    F32(4), F64(8), I64(8);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return this != I64;
    }
}
