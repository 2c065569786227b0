package dev.graft.engine;

/**
 * The compute SPI: everything a device must provide so that {@link Tensor}, autograd and the nn layers run
 * on it. Operations never record autograd history; that is the caller's job. Inputs to the elementwise,
 * copy and reduction groups may be arbitrary strided views (including stride-0 broadcasts); inputs to the
 * matmul, convolution, pooling and normalisation groups are contiguous unless stated otherwise; the incoming
 * gradient ({@code gradOut}) of their backward methods is dense: contiguous from offset 0 of a storage of exactly
 * its size, as every result is. Every result is a new contiguous tensor on this backend.
 *
 * <p>The CPU backend lives in {@code dev.graft.engine.cpu}; the CUDA backend in the kernels module.
 */
public interface Backend {
    String name();

    // ---- memory ----

    /** A zero-filled storage. */
    Storage allocate(DType dtype, int size);

    Storage wrap(float[] data);

    Storage wrap(double[] data);

    Storage wrap(long[] data);

    /** The elements of a (possibly strided) tensor in row-major order, converted to double. */
    double[] readDoubles(Tensor t);

    float[] readFloats(Tensor t);

    long[] readLongs(Tensor t);

    /** Copies {@code src} into the same-shaped, possibly strided view {@code dst}, converting dtypes. */
    void copy(Tensor src, Tensor dst);

    void fill(Tensor dst, double value);

    // ---- elementwise ----

    Tensor unary(UnaryOp op, Tensor x, double a, double b);

    /** {@code a} and {@code b} have the same shape (broadcasting is done by the caller through stride-0 views). */
    Tensor binary(BinaryOp op, Tensor a, Tensor b);

    /** {@code cond ? a : b} elementwise; all three of one shape, {@code cond} true where non-zero. */
    Tensor where(Tensor cond, Tensor a, Tensor b);

    /**
     * A 1/0 tensor of {@code indices}' shape with dimension {@code dim} widened to {@code size}: 1 where the
     * coordinate along {@code dim} equals the index (indices has size 1 along {@code dim}).
     */
    Tensor oneHot(Tensor indices, int dim, int size, DType dtype);

    // ---- reductions ----

    /** Sum over the dimensions flagged in {@code reduce}; the result keeps them with size 1. */
    Tensor sum(Tensor x, boolean[] reduce);

    /** Maximum along {@code dim} (kept with size 1): {values, I64 indices of the first maximum}. */
    Tensor[] max(Tensor x, int dim);

    // ---- linear algebra ----

    /**
     * Batched product of {@code a [B, M, K]} and {@code b [B, K, N]} into {@code [B, M, N]}. Either operand may be
     * a transposed view of a contiguous matrix (last two strides swapped) so that backward passes need no copy.
     */
    Tensor matmul(Tensor a, Tensor b);

    // ---- convolution ----

    Tensor conv2d(Tensor x, Tensor weight, Tensor bias, ConvGeometry g);

    /**
     * Inference-time {@code act(conv2d(x, weight)·scale[o] + shift[o] + residual)}: a convolution with an
     * evaluation-mode batch norm folded in, a residual add and a ReLU (when {@code relu}) in one pass over the
     * output. {@code scale} and {@code shift} are [outC], {@code residual} has the output's shape; each may be null.
     */
    Tensor conv2dFused(Tensor x, Tensor weight, Tensor scale, Tensor shift, Tensor residual, boolean relu,
                       ConvGeometry g);

    Tensor conv2dBackwardInput(Tensor gradOut, Tensor weight, ConvGeometry g);

    Tensor conv2dBackwardWeight(Tensor gradOut, Tensor x, ConvGeometry g);

    // ---- pooling ----

    /** {values, I64 indices into each input plane}. */
    Tensor[] maxPool2d(Tensor x, PoolGeometry g);

    Tensor maxPool2dBackward(Tensor gradOut, Tensor indices, PoolGeometry g);

    Tensor avgPool2d(Tensor x, PoolGeometry g, boolean countIncludePad);

    Tensor avgPool2dBackward(Tensor gradOut, PoolGeometry g, boolean countIncludePad);

    Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW);

    Tensor adaptiveAvgPool2dBackward(Tensor gradOut, int[] inputShape);

    // ---- normalisation ----

    /**
     * Training-mode batch norm over (N, H, W) per channel: {output, saveMean [C], saveInvStd [C]}. Weight and
     * bias may be null; running statistics, when given, are updated in place with the unbiased variance.
     */
    Tensor[] batchNormTrain(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                            double momentum, double eps);

    /**
     * Gradients of training-mode batch norm: {input, weight, bias}; an entry is null when its
     * {@code wanted} flag is false.
     */
    Tensor[] batchNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd,
                               boolean[] wanted);
}
