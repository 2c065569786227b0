package dev.graft.engine;

/**
 * 2-D convolution over contiguous NCHW tensors; backward methods receive a dense incoming gradient. Extends
 * the elementwise group because the fused inference convolution has a composed default.
 */
public interface ConvolutionOps extends ElementwiseOps {
    Tensor conv2d(Tensor x, Tensor weight, Tensor bias, ConvGeometry g);

    Tensor conv2dBackwardInput(Tensor gradOut, Tensor weight, ConvGeometry g);

    Tensor conv2dBackwardWeight(Tensor gradOut, Tensor x, ConvGeometry g);

    /**
     * Inference-time {@code act(conv2d(x, weight)·scale[o] + shift[o] + residual)}: a convolution with an
     * evaluation-mode batch norm folded in, a residual add and a ReLU (when {@code relu}) in one pass over the
     * output. {@code scale} and {@code shift} are [outC], {@code residual} has the output's shape; each may be null.
     * The default runs the convolution and then one elementwise op per term; backends fuse them.
     */
    default Tensor conv2dFused(Tensor x, Tensor weight, Tensor scale, Tensor shift, Tensor residual, boolean relu,
                               ConvGeometry g) {
        Tensor y = conv2d(x, weight, null, g);
        int[] shape = y.shape();
        if (scale != null) {
            y = binary(BinaryOp.MUL, y, scale.reshape(1, shape[1], 1, 1).expand(shape));
        }
        if (shift != null) {
            y = binary(BinaryOp.ADD, y, shift.reshape(1, shape[1], 1, 1).expand(shape));
        }
        if (residual != null) {
            y = binary(BinaryOp.ADD, y, residual);
        }
        return relu ? unary(UnaryOp.RELU, y, 0, 0) : y;
    }
}
