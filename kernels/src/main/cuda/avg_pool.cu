// 2-D average pooling over contiguous NCHW planes (planes = N·C), as graft's CPU PoolKernels: sliding windows
// with zero padding, divided by the kernel area (countIncludePad) or by the window clipped to the input; and
// adaptive windows [floor(o·size/out), ceil((o+1)·size/out)) (PyTorch's formula), which overlap when out > size.
// Sums run in the element type (F32 for F32; windows are small). Backward is a gather: each input element
// adds, in increasing output order, gradOut[o] / divisor(o) over the windows that contain it; no zeroed output,
// no atomics, deterministic. One thread per output (forward) or per input element (backward); any grid,
// any blockDim (256 suggested).
#include "graft_common.cuh"

namespace graft {

// Window [lo, hi) of sliding output o along one axis, clipped to the input, and its divisor along that axis.
__device__ __forceinline__ void slidingWindow(int o, int size, int kernel, int stride, int pad, bool countPad,
                                              int& lo, int& hi, int& span) {
    int start = o * stride - pad;
    lo = max(start, 0);
    hi = min(start + kernel, size);
    span = countPad ? kernel : hi - lo;
}

__device__ __forceinline__ void adaptiveWindow(int o, int size, int out, int& lo, int& hi) {
    lo = static_cast<int>(static_cast<long long>(o) * size / out);
    hi = static_cast<int>((static_cast<long long>(o + 1) * size + out - 1) / out);
}

template <typename T>
__device__ __forceinline__ T windowSum(const T* plane, int w, int r0, int r1, int c0, int c1) {
    T sum = T(0);
    for (int r = r0; r < r1; ++r) {
        for (int c = c0; c < c1; ++c) {
            sum += plane[static_cast<long long>(r) * w + c];
        }
    }
    return sum;
}

template <typename T>
__device__ __forceinline__ void avgPoolForward(const T* x, T* y, long long planes, int h, int w, int outH, int outW,
                                               int kh, int kw, int strideH, int strideW, int padH, int padW,
                                               bool countPad) {
    long long n = planes * outH * outW;
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        int ow = static_cast<int>(i % outW);
        long long rest = i / outW;
        int oh = static_cast<int>(rest % outH);
        long long plane = rest / outH;
        int r0, r1, rs, c0, c1, cs;
        slidingWindow(oh, h, kh, strideH, padH, countPad, r0, r1, rs);
        slidingWindow(ow, w, kw, strideW, padW, countPad, c0, c1, cs);
        y[i] = windowSum(x + plane * h * w, w, r0, r1, c0, c1) / static_cast<T>(rs * cs);
    }
}

template <typename T>
__device__ __forceinline__ void avgPoolBackward(const T* gradOut, T* gradIn, long long planes, int h, int w,
                                                int outH, int outW, int kh, int kw, int strideH, int strideW,
                                                int padH, int padW, bool countPad) {
    long long n = planes * h * w;
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        int iw = static_cast<int>(i % w);
        long long rest = i / w;
        int ih = static_cast<int>(rest % h);
        const T* g = gradOut + rest / h * outH * outW;
        // Outputs whose window start o·stride - pad lies in (p - kernel, p].
        int ohFrom = max(0, (ih + padH - kh) / strideH + ((ih + padH - kh) >= 0 ? 1 : 0));
        int ohTo = min(outH - 1, (ih + padH) / strideH);
        int owFrom = max(0, (iw + padW - kw) / strideW + ((iw + padW - kw) >= 0 ? 1 : 0));
        int owTo = min(outW - 1, (iw + padW) / strideW);
        T sum = T(0);
        for (int oh = ohFrom; oh <= ohTo; ++oh) {
            int r0, r1, rs;
            slidingWindow(oh, h, kh, strideH, padH, countPad, r0, r1, rs);
            for (int ow = owFrom; ow <= owTo; ++ow) {
                int c0, c1, cs;
                slidingWindow(ow, w, kw, strideW, padW, countPad, c0, c1, cs);
                sum += g[static_cast<long long>(oh) * outW + ow] / static_cast<T>(rs * cs);
            }
        }
        gradIn[i] = sum;
    }
}

template <typename T>
__device__ __forceinline__ void adaptiveForward(const T* x, T* y, long long planes, int h, int w, int outH,
                                                int outW) {
    long long n = planes * outH * outW;
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        int ow = static_cast<int>(i % outW);
        long long rest = i / outW;
        int oh = static_cast<int>(rest % outH);
        long long plane = rest / outH;
        int r0, r1, c0, c1;
        adaptiveWindow(oh, h, outH, r0, r1);
        adaptiveWindow(ow, w, outW, c0, c1);
        y[i] = windowSum(x + plane * h * w, w, r0, r1, c0, c1) / static_cast<T>((r1 - r0) * (c1 - c0));
    }
}

template <typename T>
__device__ __forceinline__ void adaptiveBackward(const T* gradOut, T* gradIn, long long planes, int h, int w,
                                                 int outH, int outW) {
    long long n = planes * h * w;
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        int iw = static_cast<int>(i % w);
        long long rest = i / w;
        int ih = static_cast<int>(rest % h);
        const T* g = gradOut + rest / h * outH * outW;
        // Windows holding position p are o in [floor(p·out/size), ceil((p+1)·out/size)); the test keeps it exact.
        int ohFrom = static_cast<int>(static_cast<long long>(ih) * outH / h);
        int ohTo = static_cast<int>((static_cast<long long>(ih + 1) * outH + h - 1) / h);
        int owFrom = static_cast<int>(static_cast<long long>(iw) * outW / w);
        int owTo = static_cast<int>((static_cast<long long>(iw + 1) * outW + w - 1) / w);
        T sum = T(0);
        for (int oh = ohFrom; oh < min(ohTo, outH); ++oh) {
            int r0, r1;
            adaptiveWindow(oh, h, outH, r0, r1);
            if (ih < r0 || ih >= r1) continue;
            for (int ow = owFrom; ow < min(owTo, outW); ++ow) {
                int c0, c1;
                adaptiveWindow(ow, w, outW, c0, c1);
                if (iw < c0 || iw >= c1) continue;
                sum += g[static_cast<long long>(oh) * outW + ow] / static_cast<T>((r1 - r0) * (c1 - c0));
            }
        }
        gradIn[i] = sum;
    }
}

}  // namespace graft

extern "C" __global__ void graft_avg_pool2d_forward_f32(const float* x, float* y, long long planes, int h, int w,
                                                        int outH, int outW, int kh, int kw, int strideH,
                                                        int strideW, int padH, int padW, int countIncludePad) {
    graft::avgPoolForward(x, y, planes, h, w, outH, outW, kh, kw, strideH, strideW, padH, padW, countIncludePad != 0);
}

extern "C" __global__ void graft_avg_pool2d_forward_f64(const double* x, double* y, long long planes, int h, int w,
                                                        int outH, int outW, int kh, int kw, int strideH,
                                                        int strideW, int padH, int padW, int countIncludePad) {
    graft::avgPoolForward(x, y, planes, h, w, outH, outW, kh, kw, strideH, strideW, padH, padW, countIncludePad != 0);
}

extern "C" __global__ void graft_avg_pool2d_backward_f32(const float* gradOut, float* gradIn, long long planes,
                                                         int h, int w, int outH, int outW, int kh, int kw,
                                                         int strideH, int strideW, int padH, int padW,
                                                         int countIncludePad) {
    graft::avgPoolBackward(gradOut, gradIn, planes, h, w, outH, outW, kh, kw, strideH, strideW, padH, padW,
                           countIncludePad != 0);
}

extern "C" __global__ void graft_avg_pool2d_backward_f64(const double* gradOut, double* gradIn, long long planes,
                                                         int h, int w, int outH, int outW, int kh, int kw,
                                                         int strideH, int strideW, int padH, int padW,
                                                         int countIncludePad) {
    graft::avgPoolBackward(gradOut, gradIn, planes, h, w, outH, outW, kh, kw, strideH, strideW, padH, padW,
                           countIncludePad != 0);
}

extern "C" __global__ void graft_adaptive_avg_pool2d_forward_f32(const float* x, float* y, long long planes, int h,
                                                                 int w, int outH, int outW) {
    graft::adaptiveForward(x, y, planes, h, w, outH, outW);
}

extern "C" __global__ void graft_adaptive_avg_pool2d_forward_f64(const double* x, double* y, long long planes,
                                                                 int h, int w, int outH, int outW) {
    graft::adaptiveForward(x, y, planes, h, w, outH, outW);
}

extern "C" __global__ void graft_adaptive_avg_pool2d_backward_f32(const float* gradOut, float* gradIn,
                                                                  long long planes, int h, int w, int outH,
                                                                  int outW) {
    graft::adaptiveBackward(gradOut, gradIn, planes, h, w, outH, outW);
}

extern "C" __global__ void graft_adaptive_avg_pool2d_backward_f64(const double* gradOut, double* gradIn,
                                                                  long long planes, int h, int w, int outH,
                                                                  int outW) {
    graft::adaptiveBackward(gradOut, gradIn, planes, h, w, outH, outW);
}
