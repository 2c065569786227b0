package dev.graft.kernels;

import dev.graft.engine.*;
import java.util.List;

/** Placeholder on the integration branch only; replaced by its owner before anything lands on main. */
final class CudaElementwise {
    CudaElementwise(CudaDevice device) {
    }

    Tensor unary(UnaryOp op, Tensor x, double a, double b) {
        throw new UnsupportedOperationException("CudaElementwise: not written yet");
    }

    Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        throw new UnsupportedOperationException("CudaElementwise: not written yet");
    }

    Tensor where(Tensor cond, Tensor a, Tensor b) {
        throw new UnsupportedOperationException("CudaElementwise: not written yet");
    }

    Tensor oneHot(Tensor indices, int dim, int size, DType dtype) {
        throw new UnsupportedOperationException("CudaElementwise: not written yet");
    }

    void copy(Tensor src, Tensor dst) {
        throw new UnsupportedOperationException("CudaElementwise: not written yet");
    }

    void fill(Tensor dst, double value) {
        throw new UnsupportedOperationException("CudaElementwise: not written yet");
    }

    void convEpilogue(Tensor y, Tensor scale, Tensor shift, Tensor residual, boolean relu) {
        throw new UnsupportedOperationException("CudaElementwise: not written yet");
    }

}
