// Shared device helpers of graft's kernels: the strided-view argument, index arithmetic, grid-stride loops,
// block reductions and the error flag. Every .cu includes this header; the fatbin is one translation unit
// (build-fatbin.sh includes every .cu in sorted order), so everything here is inline or a type.
#pragma once

#include <cstdint>

namespace graft {

constexpr int kMaxRank = 8;

// A tensor view passed by value: element (i0, ..., i{rank-1}) lives at offset + sum(ik * strides[k]),
// counted in elements. Stride 0 broadcasts. Host layout (little-endian, 144 bytes, 8-byte aligned):
// int32 rank @0, 4 bytes padding, int64 shape[8] @8, int64 strides[8] @72, int64 offset @136.
struct View {
    int rank;
    long long shape[kMaxRank];
    long long strides[kMaxRank];
    long long offset;
};
static_assert(sizeof(View) == 144, "View must match the 144-byte host layout");

// Codes written to a kernel's int error flag (the first error wins; the host zeroes the flag and reads it lazily).
enum ErrorCode : int {
    kOk = 0,
    kOneHotIndexOutOfRange = 1,
    kCrossEntropyTargetOutOfRange = 2,
    kGatherIndexOutOfRange = 3,
};

__device__ __forceinline__ void raise(int* error, int code) {
    atomicCAS(error, 0, code);
}

// True when every element offset of the view fits a 32-bit signed index, so index math can stay 32-bit
// (integer division is several times cheaper at 32 bits). Only the offset arithmetic narrows: the grid-stride
// loop counter stays 64-bit, since index + step exceeds 2^31 for n > 2^30 even when n itself fits.
__device__ __forceinline__ bool fits32(const View& v) {
    long long lo = v.offset;
    long long hi = v.offset;
#pragma unroll
    for (int d = 0; d < kMaxRank; ++d) {
        if (d < v.rank && v.shape[d] > 0) {
            long long span = (v.shape[d] - 1) * v.strides[d];
            if (span < 0) {
                lo += span;
            } else {
                hi += span;
            }
        }
    }
    return lo >= 0 && hi <= INT32_MAX;
}

// Storage offsets of the element at row-major position i in each of K views that share one shape (the host
// coalesces their dimensions jointly, so they also share the rank): the coordinates are computed once, from
// the first view's shape.
template <typename I, int K>
__device__ __forceinline__ void offsetsOf(const View* const (&v)[K], I i, I (&off)[K]) {
    const View& s = *v[0];
#pragma unroll
    for (int k = 0; k < K; ++k) {
        off[k] = static_cast<I>(v[k]->offset);
    }
    if (s.rank == 1) {
#pragma unroll
        for (int k = 0; k < K; ++k) {
            off[k] += i * static_cast<I>(v[k]->strides[0]);
        }
        return;
    }
    // Not unrolled: eight inlined (64-bit) divisions per view set would bloat every kernel several-fold.
#pragma unroll 1
    for (int d = s.rank - 1; d >= 0; --d) {
        I size = static_cast<I>(s.shape[d]);
        I q = i / size;
        I c = i - q * size;
        i = q;
#pragma unroll
        for (int k = 0; k < K; ++k) {
            off[k] += c * static_cast<I>(v[k]->strides[d]);
        }
    }
}

template <typename I>
__device__ __forceinline__ I offsetOf(const View& v, I i) {
    const View* views[1] = {&v};
    I off[1];
    offsetsOf(views, i, off);
    return off[0];
}

// First index and step of a 1-D grid-stride loop, in 64 bits so that index + step never overflows.
__device__ __forceinline__ long long gridStart() {
    return static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ long long gridStep() {
    return static_cast<long long>(gridDim.x) * blockDim.x;
}

template <typename T>
__device__ __forceinline__ T warpSum(T v) {
#pragma unroll
    for (int s = 16; s > 0; s >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, s);
    }
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024) as a fixed tree: shuffles within each warp,
// then the warp sums by the first warp. Every thread gets the total. `scratch` holds 32 values.
template <typename T>
__device__ __forceinline__ T blockSum(T v, T* scratch) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int warps = blockDim.x >> 5;
    v = warpSum(v);
    __syncthreads();
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    T total = lane < warps ? scratch[lane] : T(0);
    total = warpSum(total);
    return total;
}

// Maximum over the block, NaN winning (as the CPU kernels' max); same shape rules as blockSum.
template <typename T>
__device__ __forceinline__ T maxNan(T a, T b) {
    return (a != a || a > b) ? a : b;
}

template <typename T>
__device__ __forceinline__ T blockMax(T v, T* scratch) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int warps = blockDim.x >> 5;
#pragma unroll
    for (int s = 16; s > 0; s >>= 1) {
        v = maxNan(v, __shfl_xor_sync(0xffffffffu, v, s));
    }
    __syncthreads();
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    T total = scratch[lane < warps ? lane : 0];
#pragma unroll
    for (int s = 16; s > 0; s >>= 1) {
        total = maxNan(total, __shfl_xor_sync(0xffffffffu, total, s));
    }
    return total;
}

// Kahan-compensated running sum: F32 reductions keep per-thread partial sums this way, so their error does not
// grow with the number of elements each thread reads.
struct Kahan {
    float sum = 0.0f;
    float carry = 0.0f;

    __device__ __forceinline__ void add(float x) {
        float y = x - carry;
        float t = sum + y;
        // Once the sum is infinite the compensation would be inf - inf; keep it at 0 so inf stays inf.
        carry = isfinite(t) ? (t - sum) - y : 0.0f;
        sum = t;
    }

    __device__ __forceinline__ float value() const {
        return sum - carry;
    }
};

// The accumulator each dtype sums with: compensated for F32, plain for F64.
template <typename T>
struct Accumulator;

template <>
struct Accumulator<float> {
    Kahan k;
    __device__ __forceinline__ void add(float x) { k.add(x); }
    __device__ __forceinline__ float value() const { return k.value(); }
};

template <>
struct Accumulator<double> {
    double sum = 0.0;
    __device__ __forceinline__ void add(double x) { sum += x; }
    __device__ __forceinline__ double value() const { return sum; }
};

}  // namespace graft
