// Row gather for the feature cache: out[b, :] = table[idx[b], :] with table [rows, dim] and out [batch, dim]
// contiguous, idx I64 [batch] contiguous. An index outside [0, rows) writes a zero row and raises
// kGatherIndexOutOfRange in *error. One thread per output element; any grid, any blockDim (256 suggested).
#include "graft_common.cuh"

namespace graft {

template <typename T>
__device__ __forceinline__ void gatherRows(const T* table, const long long* idx, T* out, long long batch,
                                           long long rows, long long dim, int* error) {
    long long n = batch * dim;
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        long long b = i / dim;
        long long d = i - b * dim;
        long long row = idx[b];
        if (row < 0 || row >= rows) {
            if (d == 0) {
                raise(error, kGatherIndexOutOfRange);
            }
            out[i] = T(0);
        } else {
            out[i] = table[row * dim + d];
        }
    }
}

}  // namespace graft

extern "C" __global__ void graft_gather_rows_f32(const float* table, const long long* idx, float* out,
                                                 long long batch, long long rows, long long dim, int* error) {
    graft::gatherRows(table, idx, out, batch, rows, dim, error);
}

extern "C" __global__ void graft_gather_rows_f64(const double* table, const long long* idx, double* out,
                                                 long long batch, long long rows, long long dim, int* error) {
    graft::gatherRows(table, idx, out, batch, rows, dim, error);
}
