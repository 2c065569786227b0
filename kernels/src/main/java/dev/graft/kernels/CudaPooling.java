package dev.graft.kernels;

import dev.graft.engine.*;
import java.util.List;

/** Placeholder on the integration branch only; replaced by its owner before anything lands on main. */
final class CudaPooling {
    CudaPooling(CudaDevice device) {
    }

    Tensor[] maxPool2d(Tensor x, PoolGeometry g) {
        throw new UnsupportedOperationException("CudaPooling: not written yet");
    }

    Tensor maxPool2dBackward(Tensor gradOut, Tensor indices, PoolGeometry g) {
        throw new UnsupportedOperationException("CudaPooling: not written yet");
    }

    Tensor avgPool2d(Tensor x, PoolGeometry g, boolean countIncludePad) {
        throw new UnsupportedOperationException("CudaPooling: not written yet");
    }

    Tensor avgPool2dBackward(Tensor gradOut, PoolGeometry g, boolean countIncludePad) {
        throw new UnsupportedOperationException("CudaPooling: not written yet");
    }

    Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        throw new UnsupportedOperationException("CudaPooling: not written yet");
    }

    Tensor adaptiveAvgPool2dBackward(Tensor gradOut, int[] inputShape) {
        throw new UnsupportedOperationException("CudaPooling: not written yet");
    }

}
