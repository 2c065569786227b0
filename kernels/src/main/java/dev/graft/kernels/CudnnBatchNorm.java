package dev.graft.kernels;

import dev.graft.engine.*;
import java.util.List;

/** Placeholder on the integration branch only; replaced by its owner before anything lands on main. */
final class CudnnBatchNorm {
    CudnnBatchNorm(CudaDevice device) {
    }

    Tensor[] train(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double momentum, double eps) {
        throw new UnsupportedOperationException("CudnnBatchNorm: not written yet");
    }

    Tensor[] backward(Tensor gradOut, Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd, boolean[] wanted) {
        throw new UnsupportedOperationException("CudnnBatchNorm: not written yet");
    }

}
