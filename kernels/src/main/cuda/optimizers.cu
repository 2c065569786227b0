// Multi-tensor F32 optimizer updates: one launch updates every parameter of a list in place. The host passes
// device arrays of per-tensor pointers and element counts, and a chunk table: chunk k covers elements
// [chunks[2k+1], min(chunks[2k+1] + chunkSize, sizes[chunks[2k]])) of tensor chunks[2k]. Block b handles
// chunks b, b + gridDim.x, ...; any blockDim (256 suggested).
// Each element goes through the same float operations, in the same order, as graft's CPU kernels
// (cpu/OptimizerKernels): products and sums are rounded separately (no fused multiply-add), so with the same
// hyper-parameter floats the results are bitwise those of the CPU. The host rounds hyper-parameters to float
// exactly as OptimizerKernels does (see each kernel).
#include "graft_common.cuh"

namespace graft {

struct Chunk {
    long long tensor;
    long long from;
    long long to;
};

__device__ __forceinline__ Chunk chunkAt(const long long* chunks, const long long* sizes, long long k,
                                         long long chunkSize) {
    long long t = chunks[2 * k];
    long long from = chunks[2 * k + 1];
    return {t, from, min(sizes[t], from + chunkSize)};
}

__device__ __forceinline__ float mul(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ float add(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ float sub(float a, float b) { return __fsub_rn(a, b); }

}  // namespace graft

// SGD as torch.optim.SGD: d = g + wd·p (when weightDecay != 0); with momentum (bufs non-null) buf = d on the
// first step, else momentum·buf + keep·d, and the step is d + momentum·buf (nesterov) or buf; p -= lr·step.
// Host floats: lr = (float) lr, weightDecay = (float) wd, momentum = (float) momentum,
// keep = (float) (1 - dampening). bufs is null when momentum is 0 (then momentum, keep, firstStep and nesterov
// are ignored).
extern "C" __global__ void graft_sgd_f32(float* const* params, const float* const* grads, float* const* bufs,
                                         const long long* sizes, const long long* chunks, long long chunkCount,
                                         long long chunkSize, float lr, float weightDecay, float momentum,
                                         float keep, int firstStep, int nesterov) {
    using namespace graft;
    for (long long k = blockIdx.x; k < chunkCount; k += gridDim.x) {
        Chunk ch = chunkAt(chunks, sizes, k, chunkSize);
        float* p = params[ch.tensor];
        const float* g = grads[ch.tensor];
        float* b = bufs == nullptr ? nullptr : bufs[ch.tensor];
        for (long long i = ch.from + threadIdx.x; i < ch.to; i += blockDim.x) {
            float pv = p[i];
            float d = g[i];
            if (weightDecay != 0.0f) {
                d = add(d, mul(pv, weightDecay));
            }
            float step = d;
            if (b != nullptr) {
                float bv = firstStep ? d : add(mul(b[i], momentum), mul(d, keep));
                b[i] = bv;
                step = nesterov ? add(d, mul(bv, momentum)) : bv;
            }
            p[i] = sub(pv, mul(step, lr));
        }
    }
}

// Adam and AdamW as PyTorch 1.13's _single_tensor_adam(w): with decay (weight decay != 0) the decay is
// decoupled (p *= shrink) or added to the gradient (g += wd·p); m = b1·m + c1·g, v = b2·v + c2·g·g,
// p -= (m / (sqrt(v)·invSqrtBc2 + eps))·stepSize. Host floats, all rounded from double:
// shrink = (float) (1 - lr·wd), weightDecay = (float) wd, b1 = (float) β1, b2 = (float) β2,
// c1 = (float) (1 - β1), c2 = (float) (1 - β2), invSqrtBc2 = (float) (1 / sqrt(1 - β2^t)), eps = (float) eps,
// stepSize = (float) (lr / (1 - β1^t)), t the step count (one launch per distinct t).
extern "C" __global__ void graft_adam_f32(float* const* params, const float* const* grads, float* const* expAvgs,
                                          float* const* expAvgSqs, const long long* sizes, const long long* chunks,
                                          long long chunkCount, long long chunkSize, int decay, int decoupled,
                                          float shrink, float weightDecay, float b1, float b2, float c1, float c2,
                                          float invSqrtBc2, float eps, float stepSize) {
    using namespace graft;
    for (long long k = blockIdx.x; k < chunkCount; k += gridDim.x) {
        Chunk ch = chunkAt(chunks, sizes, k, chunkSize);
        float* p = params[ch.tensor];
        const float* g = grads[ch.tensor];
        float* m = expAvgs[ch.tensor];
        float* v = expAvgSqs[ch.tensor];
        for (long long i = ch.from + threadIdx.x; i < ch.to; i += blockDim.x) {
            float pv = p[i];
            float gv = g[i];
            if (decay && decoupled) {
                pv = mul(pv, shrink);
            } else if (decay) {
                gv = add(gv, mul(pv, weightDecay));
            }
            float mv = add(mul(m[i], b1), mul(gv, c1));
            float vv = add(mul(v[i], b2), mul(mul(gv, gv), c2));
            m[i] = mv;
            v[i] = vv;
            float denom = add(mul(__fsqrt_rn(vv), invSqrtBc2), eps);
            p[i] = sub(pv, mul(__fdiv_rn(mv, denom), stepSize));
        }
    }
}
