// Option-A shortcut of the CIFAR ResNets (x[:, :, ::2, ::2] zero-padded by `pad` channels on both sides):
// forward out[n, c + pad, i, j] = x[n, c, 2i, 2j] with out [N, C + 2·pad, ceil(H/2), ceil(W/2)] and zeros in the
// padded channels; backward gradIn[n, c, 2i, 2j] = gradOut[n, c + pad, i, j] and 0 at odd rows or columns.
// Both write every element of their output (no zeroing needed). Contiguous NCHW; one thread per output element;
// any grid, any blockDim (256 suggested).
#include "graft_common.cuh"

namespace graft {

template <typename T>
__device__ __forceinline__ void shortcutForward(const T* x, T* out, long long batch, long long channels, int h,
                                                int w, int pad) {
    int outH = (h + 1) / 2;
    int outW = (w + 1) / 2;
    long long outC = channels + 2LL * pad;
    long long n = batch * outC * outH * outW;
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        int j = static_cast<int>(i % outW);
        long long rest = i / outW;
        int r = static_cast<int>(rest % outH);
        rest /= outH;
        long long c = rest % outC - pad;
        long long b = rest / outC;
        out[i] = c < 0 || c >= channels ? T(0) : x[((b * channels + c) * h + 2LL * r) * w + 2LL * j];
    }
}

template <typename T>
__device__ __forceinline__ void shortcutBackward(const T* gradOut, T* gradIn, long long batch, long long channels,
                                                 int h, int w, int pad) {
    int outH = (h + 1) / 2;
    int outW = (w + 1) / 2;
    long long outC = channels + 2LL * pad;
    long long n = batch * channels * h * w;
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        int col = static_cast<int>(i % w);
        long long rest = i / w;
        int row = static_cast<int>(rest % h);
        rest /= h;
        long long c = rest % channels;
        long long b = rest / channels;
        gradIn[i] = (row & 1) || (col & 1)
                ? T(0)
                : gradOut[((b * outC + c + pad) * outH + row / 2) * outW + col / 2];
    }
}

}  // namespace graft

extern "C" __global__ void graft_shortcut_a_forward_f32(const float* x, float* out, long long batch,
                                                        long long channels, int h, int w, int pad) {
    graft::shortcutForward(x, out, batch, channels, h, w, pad);
}

extern "C" __global__ void graft_shortcut_a_forward_f64(const double* x, double* out, long long batch,
                                                        long long channels, int h, int w, int pad) {
    graft::shortcutForward(x, out, batch, channels, h, w, pad);
}

extern "C" __global__ void graft_shortcut_a_backward_f32(const float* gradOut, float* gradIn, long long batch,
                                                         long long channels, int h, int w, int pad) {
    graft::shortcutBackward(gradOut, gradIn, batch, channels, h, w, pad);
}

extern "C" __global__ void graft_shortcut_a_backward_f64(const double* gradOut, double* gradIn, long long batch,
                                                         long long channels, int h, int w, int pad) {
    graft::shortcutBackward(gradOut, gradIn, batch, channels, h, w, pad);
}
