package dev.graft.kernels;

import dev.graft.engine.*;
import java.util.List;

/** Placeholder on the integration branch only; replaced by its owner before anything lands on main. */
final class CudaOptimizers {
    CudaOptimizers(CudaDevice device) {
    }

    static boolean fusable(List<Tensor>... lists) {
        throw new UnsupportedOperationException("CudaOptimizers: not written yet");
    }

    void sgd(List<Tensor> params, List<Tensor> grads, List<Tensor> buffers, boolean[] firstStep, double lr, double weightDecay, double momentum, double dampening, boolean nesterov) {
        throw new UnsupportedOperationException("CudaOptimizers: not written yet");
    }

    void adam(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs, long[] steps, double lr, double weightDecay, boolean decoupledDecay, double beta1, double beta2, double eps) {
        throw new UnsupportedOperationException("CudaOptimizers: not written yet");
    }

}
