package dev.graft.kernels;

import dev.graft.engine.DType;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

/**
 * Batched matrix products {@code [B, M, K]·[B, K, N] → [B, M, N]} through cuBLAS: F32 by sgemm, F64 by dgemm,
 * the strided-batched form when B &gt; 1. Row-major and transposed views and a batch stride of 0 go to cuBLAS as
 * they are ({@link GemmOperand}); any other view, or an operand of another element type than {@code a}, is first
 * copied dense (with the conversion) by the elementwise kernels.
 */
final class CublasMatmul {
    private final CudaDevice device;
    private final CudaElementwise elementwise;

    CublasMatmul(CudaDevice device, CudaElementwise elementwise) {
        this.device = device;
        this.elementwise = elementwise;
    }

    Tensor matmul(Tensor a, Tensor b) {
        int[] sa = a.shape();
        int[] sb = b.shape();
        if (sa.length != 3 || sb.length != 3 || sa[0] != sb[0] || sa[2] != sb[1]) {
            throw new IllegalArgumentException("matmul: expected [B, M, K] and [B, K, N], got " + Shape.format(sa)
                    + " and " + Shape.format(sb));
        }
        DType dtype = a.dtype();
        if (dtype != DType.F32 && dtype != DType.F64) {
            throw new IllegalArgumentException("matmul: cuBLAS multiplies F32 or F64, got " + dtype);
        }
        int batch = sa[0];
        int m = sa[1];
        int k = sa[2];
        int n = sb[2];
        int size = Math.multiplyExact(Math.multiplyExact(batch, m), n);
        if (size == 0 || k == 0) {
            // An empty sum is 0; cuBLAS would not be called with an empty inner dimension.
            return Tensor.of(device.zeros(dtype, size), batch, m, n);
        }
        CudaStorage out = device.allocate(dtype, size);
        Operand left = operand(a, dtype);
        Operand right = operand(b, dtype);
        StridedGemm g = StridedGemm.of(left.layout(), right.layout(), batch, m, n, k);
        long pa = CudaStorage.address(right.tensor());
        long pb = CudaStorage.address(left.tensor());
        long pc = out.address();
        Blas blas = device.blas();
        if (dtype == DType.F32) {
            if (batch == 1) {
                blas.sgemm(g.transA(), g.transB(), g.m(), g.n(), g.k(), 1f, pa, g.lda(), pb, g.ldb(), 0f, pc, g.ldc());
            } else {
                blas.sgemmStridedBatched(g.transA(), g.transB(), g.m(), g.n(), g.k(), 1f, pa, g.lda(), g.strideA(),
                        pb, g.ldb(), g.strideB(), 0f, pc, g.ldc(), g.strideC(), batch);
            }
        } else if (batch == 1) {
            blas.dgemm(g.transA(), g.transB(), g.m(), g.n(), g.k(), 1.0, pa, g.lda(), pb, g.ldb(), 0.0, pc, g.ldc());
        } else {
            blas.dgemmStridedBatched(g.transA(), g.transB(), g.m(), g.n(), g.k(), 1.0, pa, g.lda(), g.strideA(), pb,
                    g.ldb(), g.strideB(), 0.0, pc, g.ldc(), g.strideC(), batch);
        }
        return Tensor.of(out, batch, m, n);
    }

    /** A tensor cuBLAS can read, and how. */
    private record Operand(Tensor tensor, GemmOperand layout) {
    }

    private Operand operand(Tensor t, DType dtype) {
        GemmOperand layout = t.dtype() == dtype ? GemmOperand.of(t.shape(), t.strides()) : null;
        if (layout != null) {
            return new Operand(t, layout);
        }
        int[] shape = t.shape();
        Tensor copy = Tensor.of(device.allocate(dtype, t.numel()), shape);
        elementwise.copy(t, copy);
        return new Operand(copy, GemmOperand.dense(shape[1], shape[2]));
    }
}
