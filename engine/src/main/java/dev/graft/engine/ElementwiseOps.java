package dev.graft.engine;

/** Elementwise maps over possibly strided (including stride-0 broadcast) views; results are new and contiguous. */
public interface ElementwiseOps {
    Tensor unary(UnaryOp op, Tensor x, double a, double b);

    /** {@code a} and {@code b} have the same shape (broadcasting is done by the caller through stride-0 views). */
    Tensor binary(BinaryOp op, Tensor a, Tensor b);

    /** {@code cond ? a : b} elementwise; all three of one shape, {@code cond} true where non-zero. */
    Tensor where(Tensor cond, Tensor a, Tensor b);

    /**
     * A 1/0 tensor of {@code indices}' shape with dimension {@code dim} widened to {@code size}: 1 where the
     * coordinate along {@code dim} equals the index (indices has size 1 along {@code dim}). An index outside
     * [0, size) is an error ({@link IllegalArgumentException} "class I out of range [0, size)"); a backend that
     * runs asynchronously may report it at its next synchronisation instead.
     */
    Tensor oneHot(Tensor indices, int dim, int size, DType dtype);
}
