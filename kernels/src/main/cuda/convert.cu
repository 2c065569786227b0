// Copy between strided views with dtype conversion (F32, F64, I64: all nine pairs), and fill of a strided view.
// Conversions go through double, exactly as the CPU backend's copy does: I64 -> F32 rounds via double, and
// floating -> I64 truncates toward zero, saturating at the I64 range with NaN -> 0, as Java's (long) cast.
#include "graft_common.cuh"

namespace graft {

template <typename T>
__device__ __forceinline__ double toDouble(T v) { return static_cast<double>(v); }

template <typename T>
__device__ __forceinline__ T fromDouble(double v) { return static_cast<T>(v); }

// Spelled out rather than left to the conversion instruction's out-of-range behaviour.
template <>
__device__ __forceinline__ long long fromDouble<long long>(double v) {
    if (v != v) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;  // 2^63: the double nearest to INT64_MAX
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return static_cast<long long>(v);
}

// Same-dtype copies are bit copies (no detour through double, which would turn a signalling NaN quiet).
template <typename S, typename D>
__device__ __forceinline__ D convert(S v) { return fromDouble<D>(toDouble(v)); }

template <>
__device__ __forceinline__ float convert<float, float>(float v) { return v; }

template <>
__device__ __forceinline__ double convert<double, double>(double v) { return v; }

template <>
__device__ __forceinline__ long long convert<long long, long long>(long long v) { return v; }

template <typename S, typename D, typename I>
__device__ __forceinline__ void copyLoop(const View& src, const S* s, const View& dst, D* d, long long n) {
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        const View* views[2] = {&src, &dst};
        I off[2];
        offsetsOf(views, static_cast<I>(i), off);
        d[off[1]] = convert<S, D>(s[off[0]]);
    }
}

template <typename S, typename D>
__device__ __forceinline__ void copy(const View& src, const S* s, const View& dst, D* d, long long n) {
    if (n <= INT32_MAX && fits32(src) && fits32(dst)) {
        copyLoop<S, D, int>(src, s, dst, d, n);
    } else {
        copyLoop<S, D, long long>(src, s, dst, d, n);
    }
}

template <typename T, typename I>
__device__ __forceinline__ void fillLoop(const View& dst, T* d, long long n, T value) {
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        d[offsetOf(dst, static_cast<I>(i))] = value;
    }
}

template <typename T>
__device__ __forceinline__ void fill(const View& dst, T* d, long long n, double value) {
    T v = fromDouble<T>(value);
    if (n <= INT32_MAX && fits32(dst)) {
        fillLoop<T, int>(dst, d, n, v);
    } else {
        fillLoop<T, long long>(dst, d, n, v);
    }
}

}  // namespace graft

using graft::View;

#define GRAFT_COPY(NAME, S, D)                                                                              \
    extern "C" __global__ void NAME(const __grid_constant__ View src, const S* s, const __grid_constant__ View dst, \
                                    D* d, long long n) {                                                      \
        graft::copy<S, D>(src, s, dst, d, n);                                                                  \
    }

GRAFT_COPY(graft_copy_f32_f32, float, float)
GRAFT_COPY(graft_copy_f32_f64, float, double)
GRAFT_COPY(graft_copy_f32_i64, float, long long)
GRAFT_COPY(graft_copy_f64_f32, double, float)
GRAFT_COPY(graft_copy_f64_f64, double, double)
GRAFT_COPY(graft_copy_f64_i64, double, long long)
GRAFT_COPY(graft_copy_i64_f32, long long, float)
GRAFT_COPY(graft_copy_i64_f64, long long, double)
GRAFT_COPY(graft_copy_i64_i64, long long, long long)

extern "C" __global__ void graft_fill_f32(const __grid_constant__ View dst, float* d, long long n, double value) {
    graft::fill(dst, d, n, value);
}

extern "C" __global__ void graft_fill_f64(const __grid_constant__ View dst, double* d, long long n, double value) {
    graft::fill(dst, d, n, value);
}

extern "C" __global__ void graft_fill_i64(const __grid_constant__ View dst, long long* d, long long n,
                                          double value) {
    graft::fill(dst, d, n, value);
}
