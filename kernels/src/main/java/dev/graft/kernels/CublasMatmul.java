package dev.graft.kernels;

import dev.graft.engine.*;
import java.util.List;

/** Placeholder on the integration branch only; replaced by its owner before anything lands on main. */
final class CublasMatmul {
    CublasMatmul(CudaDevice device, CudaElementwise elementwise) {
    }

    Tensor matmul(Tensor a, Tensor b) {
        throw new UnsupportedOperationException("CublasMatmul: not written yet");
    }

}
