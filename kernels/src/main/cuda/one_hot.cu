// One-hot expansion: indices (I64, any view with outer * inner elements, row-major as [outer, 1, inner]) become
// a contiguous [outer, size, inner] tensor of 1 where the coordinate along the middle dimension equals the index
// and 0 elsewhere. Every output element is written, so the output needs no zeroing. An index outside
// [0, size) leaves its column all 0 and raises kOneHotIndexOutOfRange in *error.
#include "graft_common.cuh"

namespace graft {

template <typename T>
__device__ __forceinline__ void oneHot(const View& idx, const long long* indices, T* out, long long outer,
                                       long long size, long long inner, int* error) {
    long long n = outer * size * inner;
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        long long in = i % inner;
        long long rest = i / inner;
        long long k = rest % size;
        long long o = rest / size;
        long long index = indices[offsetOf(idx, o * inner + in)];
        if (k == 0 && (index < 0 || index >= size)) {
            raise(error, kOneHotIndexOutOfRange);
        }
        out[i] = index == k ? T(1) : T(0);
    }
}

}  // namespace graft

using graft::View;

extern "C" __global__ void graft_one_hot_f32(const __grid_constant__ View idx, const long long* indices, float* out,
                                             long long outer, long long size, long long inner, int* error) {
    graft::oneHot(idx, indices, out, outer, size, inner, error);
}

extern "C" __global__ void graft_one_hot_f64(const __grid_constant__ View idx, const long long* indices, double* out,
                                             long long outer, long long size, long long inner, int* error) {
    graft::oneHot(idx, indices, out, outer, size, inner, error);
}
