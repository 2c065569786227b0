package dev.graft.kernels;

import dev.graft.engine.*;
import java.util.List;

/** Placeholder on the integration branch only; replaced by its owner before anything lands on main. */
final class CudaLosses {
    CudaLosses(CudaDevice device) {
    }

    Tensor[] forward(Tensor logits, Tensor target, Tensor weight, double smoothing) {
        throw new UnsupportedOperationException("CudaLosses: not written yet");
    }

    Tensor backward(Tensor gradLoss, Tensor probs, Tensor target, Tensor weight, double smoothing) {
        throw new UnsupportedOperationException("CudaLosses: not written yet");
    }

}
