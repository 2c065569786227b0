package dev.graft.kernels;

import dev.graft.engine.*;
import java.util.List;

/** Placeholder on the integration branch only; replaced by its owner before anything lands on main. */
final class CudaReductions {
    CudaReductions(CudaDevice device, CudaElementwise elementwise) {
    }

    Tensor sum(Tensor x, boolean[] reduce) {
        throw new UnsupportedOperationException("CudaReductions: not written yet");
    }

    Tensor[] max(Tensor x, int dim) {
        throw new UnsupportedOperationException("CudaReductions: not written yet");
    }

}
