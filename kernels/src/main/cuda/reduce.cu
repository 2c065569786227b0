// Reductions over contiguous data. Sums: each thread keeps a running sum of the elements it reads (Kahan-
// compensated in F32, plain in F64), then the threads' sums are combined by a fixed tree (warp shuffles, then
// across warps), so results do not depend on timing. A sum may be split into `parts` partial sums per output,
// for shapes with few outputs and long reductions; a second launch over [.., parts] finishes it.
// Max: values and I64 index of the first maximum; a NaN wins as soon as it is met, as in the CPU kernel.
#include "graft_common.cuh"

namespace graft {

// out[r * parts + p] = sum of row r of x [rows, cols] over the columns of part p (parts split the columns into
// equal chunks of ceil(cols / parts)). One block per (row, part): blockIdx.x strides over rows, blockIdx.y
// over parts; blockDim.x a multiple of 32 (256 suggested).
template <typename T>
__device__ __forceinline__ void sumLast(const T* x, T* out, long long rows, long long cols, long long parts) {
    __shared__ T scratch[32];
    long long chunk = (cols + parts - 1) / parts;
    for (long long p = blockIdx.y; p < parts; p += gridDim.y) {
        long long from = p * chunk;
        long long to = min(cols, from + chunk);
        for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
            const T* row = x + r * cols;
            Accumulator<T> acc;
            for (long long c = from + threadIdx.x; c < to; c += blockDim.x) {
                acc.add(row[c]);
            }
            T total = blockSum(acc.value(), scratch);
            if (threadIdx.x == 0) {
                out[r * parts + p] = total;
            }
        }
    }
}

// out[p * cols + c] = sum over the rows of part p (equal chunks of ceil(rows / parts)) of x [rows, cols] at
// column c. Blocks of (32, Y): threadIdx.x picks a column of a 32-wide tile (coalesced reads), threadIdx.y
// splits the rows; blockIdx.x strides over column tiles, blockIdx.y over parts. Y at most 32 (8 suggested).
template <typename T>
__device__ __forceinline__ void sumFirst(const T* x, T* out, long long rows, long long cols, long long parts) {
    __shared__ T scratch[32][33];
    long long chunk = (rows + parts - 1) / parts;
    long long tiles = (cols + 31) / 32;
    for (long long p = blockIdx.y; p < parts; p += gridDim.y) {
        long long from = p * chunk;
        long long to = min(rows, from + chunk);
        for (long long tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
            long long c = tile * 32 + threadIdx.x;
            Accumulator<T> acc;
            if (c < cols) {
                for (long long r = from + threadIdx.y; r < to; r += blockDim.y) {
                    acc.add(x[r * cols + c]);
                }
            }
            __syncthreads();
            scratch[threadIdx.y][threadIdx.x] = acc.value();
            __syncthreads();
            if (threadIdx.y == 0 && c < cols) {
                // The row lanes' sums in a fixed order.
                T total = scratch[0][threadIdx.x];
                for (unsigned y = 1; y < blockDim.y; ++y) {
                    total += scratch[y][threadIdx.x];
                }
                out[p * cols + c] = total;
            }
        }
    }
}

// The better of two (value, index) candidates under "first NaN, else the largest, ties to the smaller index",
// which is what a left-to-right scan keeping the first NaN or the first strict maximum returns.
template <typename T>
__device__ __forceinline__ bool better(T v, long long i, T bestV, long long bestI) {
    bool nan = v != v;
    bool bestNan = bestV != bestV;
    if (nan != bestNan) return nan;
    if (nan || v == bestV) return i < bestI;
    return v > bestV;
}

// Maximum along the middle axis of x [outer, size, inner] into values and indices [outer, inner].
// inner == 1: one warp per output (lanes split the axis, then shuffle); otherwise one thread per output (reads
// coalesced across inner). Any grid; blockDim.x a multiple of 32.
template <typename T>
__device__ __forceinline__ void maxMiddle(const T* x, T* values, long long* indices, long long outer,
                                          long long size, long long inner) {
    if (inner == 1) {
        int lane = threadIdx.x & 31;
        long long warps = gridStep() / 32;
        #pragma unroll 1
        for (long long o = gridStart() / 32; o < outer; o += warps) {
            const T* row = x + o * size;
            T best = T(0);
            long long arg = -1;
            for (long long k = lane; k < size; k += 32) {
                T v = row[k];
                // A lane scans its own elements left to right: keep the first NaN, else the first strict maximum.
                if (arg < 0 || (best == best && (v > best || v != v))) {
                    best = v;
                    arg = k;
                }
            }
#pragma unroll
            for (int s = 16; s > 0; s >>= 1) {
                T otherV = __shfl_xor_sync(0xffffffffu, best, s);
                long long otherI = __shfl_xor_sync(0xffffffffu, arg, s);
                if (otherI >= 0 && (arg < 0 || better(otherV, otherI, best, arg))) {
                    best = otherV;
                    arg = otherI;
                }
            }
            if (lane == 0) {
                values[o] = best;
                indices[o] = arg;
            }
        }
        return;
    }
    long long n = outer * inner;
    #pragma unroll 1
    for (long long i = gridStart(); i < n; i += gridStep()) {
        long long o = i / inner;
        long long in = i - o * inner;
        const T* base = x + o * size * inner + in;
        T best = base[0];
        long long arg = 0;
        for (long long k = 1; k < size && best == best; ++k) {
            T v = base[k * inner];
            if (v > best || v != v) {
                best = v;
                arg = k;
            }
        }
        values[i] = best;
        indices[i] = arg;
    }
}

}  // namespace graft

extern "C" __global__ void graft_sum_last_f32(const float* x, float* out, long long rows, long long cols,
                                              long long parts) {
    graft::sumLast(x, out, rows, cols, parts);
}

extern "C" __global__ void graft_sum_last_f64(const double* x, double* out, long long rows, long long cols,
                                              long long parts) {
    graft::sumLast(x, out, rows, cols, parts);
}

extern "C" __global__ void graft_sum_first_f32(const float* x, float* out, long long rows, long long cols,
                                               long long parts) {
    graft::sumFirst(x, out, rows, cols, parts);
}

extern "C" __global__ void graft_sum_first_f64(const double* x, double* out, long long rows, long long cols,
                                               long long parts) {
    graft::sumFirst(x, out, rows, cols, parts);
}

extern "C" __global__ void graft_max_middle_f32(const float* x, float* values, long long* indices, long long outer,
                                                long long size, long long inner) {
    graft::maxMiddle(x, values, indices, outer, size, inner);
}

extern "C" __global__ void graft_max_middle_f64(const double* x, double* values, long long* indices,
                                                long long outer, long long size, long long inner) {
    graft::maxMiddle(x, values, indices, outer, size, inner);
}
