// Elementwise maps over strided views (stride 0 broadcasts), writing a contiguous output of n elements:
// unary ops, binary ops and where. Semantics follow graft's CPU backend (ElementwiseKernels): NaN handling of
// RELU, CLAMP and SIGN as in Java; AFFINE rounds a*x before adding b (no fused multiply-add), as the CPU does.
// Op codes are the ordinals of dev.graft.engine.UnaryOp and BinaryOp.
#include "graft_common.cuh"

namespace graft {

enum UnaryCode : int {
    kNeg = 0, kExp, kLog, kSqrt, kAbs, kSign, kRelu, kPow, kClamp, kAffine, kGreater, kBetween
};

enum BinaryCode : int {
    kAdd = 0, kSub, kMul, kDiv, kEqual, kGreaterThan
};

// Scalar parameters of a unary op in the element type. For F32, the comparison thresholds are the floats
// that decide `x > a` and `a <= x <= b` exactly as the CPU's comparison of the float x with the double a does.
template <typename T>
struct UnaryParams;

template <>
struct UnaryParams<float> {
    float a, b, above, from, to;
    double pow;

    __device__ __forceinline__ UnaryParams(double da, double db) {
        a = static_cast<float>(da);
        b = static_cast<float>(db);
        above = static_cast<double>(a) > da ? nextafterf(a, -INFINITY) : a;  // largest float <= da
        from = static_cast<double>(a) < da ? nextafterf(a, INFINITY) : a;   // smallest float >= da
        to = static_cast<double>(b) > db ? nextafterf(b, -INFINITY) : b;    // largest float <= db
        pow = da;
    }
};

template <>
struct UnaryParams<double> {
    double a, b, above, from, to, pow;

    __device__ __forceinline__ UnaryParams(double da, double db)
        : a(da), b(db), above(da), from(da), to(db), pow(da) {}
};

__device__ __forceinline__ float mulThenAdd(float a, float x, float b) { return __fadd_rn(__fmul_rn(a, x), b); }
__device__ __forceinline__ double mulThenAdd(double a, double x, double b) { return __dadd_rn(__dmul_rn(a, x), b); }

__device__ __forceinline__ float power(float x, double p) { return powf(x, static_cast<float>(p)); }
__device__ __forceinline__ double power(double x, double p) { return ::pow(x, p); }

template <typename T>
__device__ __forceinline__ T applyUnary(int op, T x, const UnaryParams<T>& p) {
    switch (op) {
        case kNeg: return -x;
        case kExp: return exp(x);
        case kLog: return log(x);
        case kSqrt: return sqrt(x);
        case kAbs: return fabs(x);
        case kSign: return x > T(0) ? T(1) : x < T(0) ? T(-1) : x;  // keeps NaN and signed zeros, as Math.signum
        case kRelu: return x > T(0) ? x : x != x ? x : T(0);
        case kPow: return power(x, p.pow);
        case kClamp: {
            if (x != x) return x;
            T lo = x < p.a ? p.a : x;
            return lo > p.b ? p.b : lo;
        }
        case kAffine: return mulThenAdd(p.a, x, p.b);
        case kGreater: return x > p.above ? T(1) : T(0);
        case kBetween: return x >= p.from && x <= p.to ? T(1) : T(0);
        default: return x;
    }
}

template <typename T>
__device__ __forceinline__ T applyBinary(int op, T a, T b) {
    switch (op) {
        case kAdd: return a + b;
        case kSub: return a - b;
        case kMul: return a * b;
        case kDiv: return a / b;
        case kEqual: return a == b ? T(1) : T(0);
        case kGreaterThan: return a > b ? T(1) : T(0);
        default: return a;
    }
}

template <typename T, typename I>
__device__ __forceinline__ void unaryLoop(const View& x, const T* xs, T* y, long long n, int op,
                                          const UnaryParams<T>& p) {
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        y[i] = applyUnary(op, xs[offsetOf(x, static_cast<I>(i))], p);
    }
}

template <typename T>
__device__ __forceinline__ void unary(const View& x, const T* xs, T* y, long long n, int op, double a, double b) {
    UnaryParams<T> p(a, b);
    if (n <= INT32_MAX && fits32(x)) {
        unaryLoop<T, int>(x, xs, y, n, op, p);
    } else {
        unaryLoop<T, long long>(x, xs, y, n, op, p);
    }
}

template <typename T, typename I>
__device__ __forceinline__ void binaryLoop(const View& a, const T* as, const View& b, const T* bs, T* out,
                                           long long n, int op) {
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        const View* views[2] = {&a, &b};
        I off[2];
        offsetsOf(views, static_cast<I>(i), off);
        out[i] = applyBinary(op, as[off[0]], bs[off[1]]);
    }
}

template <typename T>
__device__ __forceinline__ void binary(const View& a, const T* as, const View& b, const T* bs, T* out, long long n,
                                       int op) {
    if (n <= INT32_MAX && fits32(a) && fits32(b)) {
        binaryLoop<T, int>(a, as, b, bs, out, n, op);
    } else {
        binaryLoop<T, long long>(a, as, b, bs, out, n, op);
    }
}

template <typename T, typename I>
__device__ __forceinline__ void whereLoop(const View& c, const T* cs, const View& a, const T* as, const View& b,
                                          const T* bs, T* out, long long n) {
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        const View* views[3] = {&c, &a, &b};
        I off[3];
        offsetsOf(views, static_cast<I>(i), off);
        out[i] = cs[off[0]] != T(0) ? as[off[1]] : bs[off[2]];
    }
}

template <typename T>
__device__ __forceinline__ void where(const View& c, const T* cs, const View& a, const T* as, const View& b,
                                      const T* bs, T* out, long long n) {
    if (n <= INT32_MAX && fits32(c) && fits32(a) && fits32(b)) {
        whereLoop<T, int>(c, cs, a, as, b, bs, out, n);
    } else {
        whereLoop<T, long long>(c, cs, a, as, b, bs, out, n);
    }
}

}  // namespace graft

using graft::View;

extern "C" __global__ void graft_unary_f32(const __grid_constant__ View x, const float* xs, float* y, long long n,
                                           int op, double a, double b) {
    graft::unary(x, xs, y, n, op, a, b);
}

extern "C" __global__ void graft_unary_f64(const __grid_constant__ View x, const double* xs, double* y, long long n,
                                           int op, double a, double b) {
    graft::unary(x, xs, y, n, op, a, b);
}

extern "C" __global__ void graft_binary_f32(const __grid_constant__ View a, const float* as,
                                            const __grid_constant__ View b, const float* bs, float* out, long long n,
                                            int op) {
    graft::binary(a, as, b, bs, out, n, op);
}

extern "C" __global__ void graft_binary_f64(const __grid_constant__ View a, const double* as,
                                            const __grid_constant__ View b, const double* bs, double* out,
                                            long long n, int op) {
    graft::binary(a, as, b, bs, out, n, op);
}

extern "C" __global__ void graft_where_f32(const __grid_constant__ View c, const float* cs,
                                           const __grid_constant__ View a, const float* as,
                                           const __grid_constant__ View b, const float* bs, float* out, long long n) {
    graft::where(c, cs, a, as, b, bs, out, n);
}

extern "C" __global__ void graft_where_f64(const __grid_constant__ View c, const double* cs,
                                           const __grid_constant__ View a, const double* as,
                                           const __grid_constant__ View b, const double* bs, double* out,
                                           long long n) {
    graft::where(c, cs, a, as, b, bs, out, n);
}
