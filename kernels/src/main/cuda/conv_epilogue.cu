// Inference epilogue after a convolution, in place on y [N, C, H·W] (contiguous NCHW, n = N·C·H·W elements):
// y = act(fma(y, scale[c], shift[c]) + residual), where a null scale means 1, a null shift 0, a null residual
// no term, and act is max(v, 0) keeping NaN when relu != 0. The multiply-add is fused, as in the CPU kernel's
// epilogue (Conv2dKernels.Epilogue). residual has y's shape, contiguous. Grid-stride; any grid and blockDim.
#include "graft_common.cuh"

namespace graft {

template <typename T>
__device__ __forceinline__ void convEpilogue(T* y, const T* scale, const T* shift, const T* residual, long long n,
                                             long long channels, long long hw, int relu) {
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        long long c = (i / hw) % channels;
        T v = fma(y[i], scale == nullptr ? T(1) : scale[c], shift == nullptr ? T(0) : shift[c]);
        if (residual != nullptr) {
            v += residual[i];
        }
        y[i] = relu && !(v > T(0)) && v == v ? T(0) : v;
    }
}

}  // namespace graft

extern "C" __global__ void graft_conv_epilogue_f32(float* y, const float* scale, const float* shift,
                                                   const float* residual, long long n, long long channels,
                                                   long long hw, int relu) {
    graft::convEpilogue(y, scale, shift, residual, n, channels, hw, relu);
}

extern "C" __global__ void graft_conv_epilogue_f64(double* y, const double* scale, const double* shift,
                                                   const double* residual, long long n, long long channels,
                                                   long long hw, int relu) {
    graft::convEpilogue(y, scale, shift, residual, n, channels, hw, relu);
}
