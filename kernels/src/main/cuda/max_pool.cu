// 2-D max pooling over contiguous NCHW planes (planes = N·C), with padding (never selected), stride and
// dilation, as graft's CPU PoolKernels: within a window taps are visited in row-major order, the first maximum
// wins ties (strict >) and a NaN is always taken, so the last NaN of a window wins. indices[o] is the position
// ih·w + iw of the selected input inside its plane. Output sizes are the caller's (PoolGeometry).
// Backward is a gather, not a scatter: each input element sums, over the windows that contain it (in increasing
// output order), the gradients of the outputs whose index points at it. It needs no zeroed output and no
// atomics, so it is deterministic; it relies on every index lying inside its own window, as forward writes them.
// One thread per output (forward) or per input element (backward); any grid, any blockDim (256 suggested).
#include "graft_common.cuh"

namespace graft {

struct PoolShape {
    long long planes;
    int h, w, outH, outW, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW;
};

template <typename T>
__device__ __forceinline__ void maxPoolForward(const T* x, T* y, long long* indices, const PoolShape& s) {
    long long n = s.planes * s.outH * s.outW;
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        int ow = static_cast<int>(i % s.outW);
        long long rest = i / s.outW;
        int oh = static_cast<int>(rest % s.outH);
        long long plane = rest / s.outH;
        const T* in = x + plane * s.h * s.w;
        T best = -INFINITY;
        long long arg = -1;
        for (int r = 0; r < s.kh; ++r) {
            int ih = oh * s.strideH - s.padH + r * s.dilationH;
            if (ih < 0 || ih >= s.h) continue;
            for (int c = 0; c < s.kw; ++c) {
                int iw = ow * s.strideW - s.padW + c * s.dilationW;
                if (iw < 0 || iw >= s.w) continue;
                long long at = static_cast<long long>(ih) * s.w + iw;
                T v = in[at];
                // The first real tap is the starting candidate even when it is -inf, as in the CPU kernel.
                if (arg < 0 || v > best || v != v) {
                    best = v;
                    arg = at;
                }
            }
        }
        y[i] = best;
        indices[i] = arg;
    }
}

// The output rows (or columns) whose windows hold input position p along one axis: for tap k the window
// start o·stride - pad + k·dilation equals p when o = (p + pad - k·dilation) / stride exactly.
__device__ __forceinline__ bool tapOutput(int p, int k, int stride, int pad, int dilation, int out, int& o) {
    int t = p + pad - k * dilation;
    if (t < 0 || t % stride != 0) return false;
    o = t / stride;
    return o < out;
}

template <typename T>
__device__ __forceinline__ void maxPoolBackward(const T* gradOut, const long long* indices, T* gradIn,
                                                const PoolShape& s) {
    long long n = s.planes * s.h * s.w;
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        int iw = static_cast<int>(i % s.w);
        long long rest = i / s.w;
        int ih = static_cast<int>(rest % s.h);
        long long plane = rest / s.h;
        long long at = static_cast<long long>(ih) * s.w + iw;
        long long outBase = plane * s.outH * s.outW;
        T sum = T(0);
        // Taps in decreasing order visit the windows in increasing output order.
        for (int r = s.kh - 1; r >= 0; --r) {
            int oh;
            if (!tapOutput(ih, r, s.strideH, s.padH, s.dilationH, s.outH, oh)) continue;
            for (int c = s.kw - 1; c >= 0; --c) {
                int ow;
                if (!tapOutput(iw, c, s.strideW, s.padW, s.dilationW, s.outW, ow)) continue;
                long long o = outBase + static_cast<long long>(oh) * s.outW + ow;
                if (indices[o] == at) {
                    sum += gradOut[o];
                }
            }
        }
        gradIn[i] = sum;
    }
}

}  // namespace graft

#define GRAFT_POOL_SHAPE                                                                                      \
    graft::PoolShape {                                                                                        \
        planes, h, w, outH, outW, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW                  \
    }

#define GRAFT_POOL_PARAMS                                                                                     \
    long long planes, int h, int w, int outH, int outW, int kh, int kw, int strideH, int strideW, int padH,  \
        int padW, int dilationH, int dilationW

extern "C" __global__ void graft_max_pool2d_forward_f32(const float* x, float* y, long long* indices,
                                                        GRAFT_POOL_PARAMS) {
    graft::maxPoolForward(x, y, indices, GRAFT_POOL_SHAPE);
}

extern "C" __global__ void graft_max_pool2d_forward_f64(const double* x, double* y, long long* indices,
                                                        GRAFT_POOL_PARAMS) {
    graft::maxPoolForward(x, y, indices, GRAFT_POOL_SHAPE);
}

extern "C" __global__ void graft_max_pool2d_backward_f32(const float* gradOut, const long long* indices,
                                                         float* gradIn, GRAFT_POOL_PARAMS) {
    graft::maxPoolBackward(gradOut, indices, gradIn, GRAFT_POOL_SHAPE);
}

extern "C" __global__ void graft_max_pool2d_backward_f64(const double* gradOut, const long long* indices,
                                                         double* gradIn, GRAFT_POOL_PARAMS) {
    graft::maxPoolBackward(gradOut, indices, gradIn, GRAFT_POOL_SHAPE);
}
