// Fused softmax cross-entropy over logits [N, C] (contiguous) with I64 targets [N], optional class weights [C]
// (null: all 1) and label smoothing s, as graft's crossEntropy with reduction NONE (MEAN and SUM are the
// caller's): loss[n] = (1-s)·w[t]·(-logp[t]) + (s/C)·Σc w[c]·(-logp[c]), logp = x - max - log Σ exp(x - max).
// The smoothing sum is skipped when s == 0, as the CPU skips it. Forward also saves the softmax
// probabilities [N, C] for backward:
//   dlogits[n, j] = g[n]·((1-s)·w[t]·(p[j] - [j == t]) + (s/C)·(W·p[j] - w[j])),  W = Σc w[c].
// One block per row (blockIdx.x strides over rows); blockDim.x a multiple of 32, at most 1024 (32 for C <= 64,
// else 256, suggested). A target outside [0, C) raises kCrossEntropyTargetOutOfRange in *error and makes that
// row's loss (forward) or gradient (backward) NaN. Sums run in the element type (F32 for F32).
#include "graft_common.cuh"

namespace graft {

template <typename T>
__device__ __forceinline__ T quietNaN();

template <>
__device__ __forceinline__ float quietNaN<float>() { return __int_as_float(0x7fc00000); }

template <>
__device__ __forceinline__ double quietNaN<double>() { return __longlong_as_double(0x7ff8000000000000LL); }

template <typename T>
__device__ __forceinline__ void crossEntropyForward(const T* logits, const long long* targets, const T* weights,
                                                    T* loss, T* probs, long long n, long long c, double smoothing,
                                                    int* error) {
    __shared__ T scratch[32];
    // The scalar factors rounded from double once, as the CPU's tensor ops round them.
    T keep = static_cast<T>(1 - smoothing);
    T spread = static_cast<T>(smoothing / static_cast<double>(c));
    for (long long r = blockIdx.x; r < n; r += gridDim.x) {
        const T* x = logits + r * c;
        T* p = probs + r * c;
        T localMax = -INFINITY;
        for (long long j = threadIdx.x; j < c; j += blockDim.x) {
            localMax = maxNan(localMax, x[j]);
        }
        T max = blockMax(localMax, scratch);
        T localSum = T(0);
        for (long long j = threadIdx.x; j < c; j += blockDim.x) {
            localSum += exp(x[j] - max);
        }
        T logSum = log(blockSum(localSum, scratch));
        // p = exp(logp) as the CPU's softmax; the smoothing term needs Σ w·logp.
        T localWeighted = T(0);
        for (long long j = threadIdx.x; j < c; j += blockDim.x) {
            T logp = (x[j] - max) - logSum;
            p[j] = exp(logp);
            if (smoothing != 0) {
                localWeighted += (weights == nullptr ? T(1) : weights[j]) * logp;
            }
        }
        T weighted = smoothing != 0 ? blockSum(localWeighted, scratch) : T(0);
        if (threadIdx.x == 0) {
            long long t = targets[r];
            if (t < 0 || t >= c) {
                raise(error, kCrossEntropyTargetOutOfRange);
                loss[r] = quietNaN<T>();
            } else {
                T wt = weights == nullptr ? T(1) : weights[t];
                T nll = -(((x[t] - max) - logSum) * wt);
                loss[r] = smoothing != 0 ? nll * keep + (-weighted) * spread : nll;
            }
        }
    }
}

template <typename T>
__device__ __forceinline__ void crossEntropyBackward(const T* probs, const long long* targets, const T* weights,
                                                     const T* gradLoss, long long gradStride, T* gradLogits,
                                                     long long n, long long c, double smoothing, int* error) {
    __shared__ T scratch[32];
    T keep = static_cast<T>(1 - smoothing);
    T spread = static_cast<T>(smoothing / static_cast<double>(c));
    // W = Σ w, the same for every row: summed once per block.
    T weightSum = static_cast<T>(c);
    if (weights != nullptr && smoothing != 0) {
        T local = T(0);
        for (long long j = threadIdx.x; j < c; j += blockDim.x) {
            local += weights[j];
        }
        weightSum = blockSum(local, scratch);
    }
    for (long long r = blockIdx.x; r < n; r += gridDim.x) {
        const T* p = probs + r * c;
        T* d = gradLogits + r * c;
        long long t = targets[r];
        bool valid = t >= 0 && t < c;
        if (!valid && threadIdx.x == 0) {
            raise(error, kCrossEntropyTargetOutOfRange);
        }
        T g = gradLoss[r * gradStride];
        T wt = !valid ? quietNaN<T>() : weights == nullptr ? T(1) : weights[t];
        T target = keep * wt;
        for (long long j = threadIdx.x; j < c; j += blockDim.x) {
            T pj = p[j];
            T v = target * (pj - (j == t ? T(1) : T(0)));
            if (smoothing != 0) {
                v += spread * (weightSum * pj - (weights == nullptr ? T(1) : weights[j]));
            }
            d[j] = g * v;
        }
    }
}

}  // namespace graft

extern "C" __global__ void graft_cross_entropy_forward_f32(const float* logits, const long long* targets,
                                                           const float* weights, float* loss, float* probs,
                                                           long long n, long long c, double smoothing, int* error) {
    graft::crossEntropyForward(logits, targets, weights, loss, probs, n, c, smoothing, error);
}

extern "C" __global__ void graft_cross_entropy_forward_f64(const double* logits, const long long* targets,
                                                           const double* weights, double* loss, double* probs,
                                                           long long n, long long c, double smoothing, int* error) {
    graft::crossEntropyForward(logits, targets, weights, loss, probs, n, c, smoothing, error);
}

extern "C" __global__ void graft_cross_entropy_backward_f32(const float* probs, const long long* targets,
                                                            const float* weights, const float* gradLoss,
                                                            long long gradStride, float* gradLogits, long long n,
                                                            long long c, double smoothing, int* error) {
    graft::crossEntropyBackward(probs, targets, weights, gradLoss, gradStride, gradLogits, n, c, smoothing, error);
}

extern "C" __global__ void graft_cross_entropy_backward_f64(const double* probs, const long long* targets,
                                                            const double* weights, const double* gradLoss,
                                                            long long gradStride, double* gradLogits, long long n,
                                                            long long c, double smoothing, int* error) {
    graft::crossEntropyBackward(probs, targets, weights, gradLoss, gradStride, gradLogits, n, c, smoothing, error);
}
