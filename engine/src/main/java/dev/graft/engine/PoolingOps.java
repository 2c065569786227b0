package dev.graft.engine;

/** 2-D pooling over contiguous NCHW tensors; backward methods receive a dense incoming gradient. */
public interface PoolingOps {
    /** {values, I64 indices into each input plane}. */
    Tensor[] maxPool2d(Tensor x, PoolGeometry g);

    Tensor maxPool2dBackward(Tensor gradOut, Tensor indices, PoolGeometry g);

    Tensor avgPool2d(Tensor x, PoolGeometry g, boolean countIncludePad);

    Tensor avgPool2dBackward(Tensor gradOut, PoolGeometry g, boolean countIncludePad);

    Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW);

    Tensor adaptiveAvgPool2dBackward(Tensor gradOut, int[] inputShape);
}
