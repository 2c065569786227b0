package dev.graft.kernels;

import dev.graft.engine.*;
import java.util.List;

/** Placeholder on the integration branch only; replaced by its owner before anything lands on main. */
final class CudnnConvolution {
    CudnnConvolution(CudaDevice device) {
    }

    Tensor forward(Tensor x, Tensor weight, Tensor bias, ConvGeometry g) {
        throw new UnsupportedOperationException("CudnnConvolution: not written yet");
    }

    Tensor backwardInput(Tensor gradOut, Tensor weight, ConvGeometry g) {
        throw new UnsupportedOperationException("CudnnConvolution: not written yet");
    }

    Tensor backwardWeight(Tensor gradOut, Tensor x, ConvGeometry g) {
        throw new UnsupportedOperationException("CudnnConvolution: not written yet");
    }

}
