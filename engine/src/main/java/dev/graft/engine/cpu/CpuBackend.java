package dev.graft.engine.cpu;

import dev.graft.engine.Backend;
import dev.graft.engine.BinaryOp;
import dev.graft.engine.ConvGeometry;
import dev.graft.engine.DType;
import dev.graft.engine.PoolGeometry;
import dev.graft.engine.Shape;
import dev.graft.engine.Storage;
import dev.graft.engine.Tensor;
import dev.graft.engine.UnaryOp;

import java.util.Collections;
import java.util.List;

/**
 * The pure-Java backend. F32 tensors run the fast kernels (blocked SIMD GEMM, im2col convolution,
 * multi-threaded loops); F64 tensors run the plain reference kernels, which gradient checks and
 * fast-vs-reference comparisons rely on.
 */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();

    private CpuBackend() {
    }

    @Override
    public String name() {
        return "cpu";
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Storage allocate(DType dtype, int size) {
        return CpuStorage.allocate(dtype, size);
    }

    @Override
    public Storage upload(float[] data) {
        return CpuStorage.of(data);
    }

    @Override
    public Storage upload(double[] data) {
        return CpuStorage.of(data);
    }

    @Override
    public Storage upload(long[] data) {
        return CpuStorage.of(data);
    }

    @Override
    public double[] downloadDoubles(Tensor t) {
        double[] out = new double[t.numel()];
        copy(t, Tensor.of(CpuStorage.of(out), t.shape()));
        return out;
    }

    @Override
    public float[] downloadFloats(Tensor t) {
        if (t.dtype() == DType.F32 && dense(t)) {
            return ((CpuStorage) t.storage()).f.clone();
        }
        float[] out = new float[t.numel()];
        copy(t, Tensor.of(CpuStorage.of(out), t.shape()));
        return out;
    }

    @Override
    public long[] downloadLongs(Tensor t) {
        long[] out = new long[t.numel()];
        copy(t, Tensor.of(CpuStorage.of(out), t.shape()));
        return out;
    }

    @Override
    public void release(Storage storage) {
        if (storage instanceof CpuStorage s) {
            StepMemory.release(s);
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        for (Tensor t : new Tensor[] {src, dst}) {
            if (!(t.storage() instanceof CpuStorage)) {
                throw new IllegalArgumentException("copy: " + (t == src ? "source" : "destination") + " tensor "
                        + Shape.format(t.shape()) + " lives on backend " + t.backend().name()
                        + "; transfer it with Tensor.to(backend) first");
            }
        }
        ElementwiseKernels.copy(src, dst);
    }

    @Override
    public void fill(Tensor dst, double value) {
        ElementwiseKernels.fill(dst, value);
    }

    Tensor convert(Tensor t, DType dtype) {
        Tensor out = Tensor.of(allocate(dtype, t.numel()), t.shape());
        copy(t, out);
        return out;
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public Tensor unary(UnaryOp op, Tensor x, double a, double b) {
        CpuStorage in = dense(x) ? (CpuStorage) x.storage() : storageOf(contiguous(x));
        CpuStorage out = CpuStorage.allocate(x.dtype(), x.numel());
        if (in.f != null) {
            ElementwiseKernels.unary(op, in.f, out.f, a, b);
        } else {
            ElementwiseKernels.unary(op, in.d, out.d, a, b);
        }
        return Tensor.of(out, x.shape());
    }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        Tensor out = Tensor.of(allocate(a.dtype(), a.numel()), a.shape());
        ElementwiseKernels.binary(op, out, a, b);
        return out;
    }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b) {
        Tensor out = Tensor.of(allocate(a.dtype(), a.numel()), a.shape());
        ElementwiseKernels.where(out, cond, a, b);
        return out;
    }

    @Override
    public Tensor oneHot(Tensor indices, int dim, int size, DType dtype) {
        int[] shape = indices.shape();
        shape[dim] = size;
        CpuStorage out = CpuStorage.allocate(dtype, Shape.numel(shape));
        ReduceKernels.oneHot(downloadLongs(indices), indices.shape(), dim, size, out);
        return Tensor.of(out, shape);
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public Tensor sum(Tensor x, boolean[] reduce) {
        int[] kept = x.shape();
        for (int i = 0; i < kept.length; i++) {
            if (reduce[i]) {
                kept[i] = 1;
            }
        }
        double[] acc = ReduceKernels.sum(x, reduce, kept);
        return x.dtype() == DType.F64 ? Tensor.of(CpuStorage.of(acc), kept) : Tensor.of(CpuStorage.of(toFloats(acc)), kept);
    }

    @Override
    public Tensor[] max(Tensor x, int dim) {
        int[] kept = x.shape();
        kept[dim] = 1;
        double[] values = new double[Shape.numel(kept)];
        long[] indices = new long[values.length];
        ReduceKernels.max(x, dim, values, indices);
        Tensor v = x.dtype() == DType.F64 ? Tensor.of(CpuStorage.of(values), kept)
                : Tensor.of(CpuStorage.of(toFloats(values)), kept);
        return new Tensor[] {v, Tensor.of(CpuStorage.of(indices), kept)};
    }

    // ---------------------------------------------------------------- linear algebra

    @Override
    public Tensor matmul(Tensor a, Tensor b) {
        int batch = a.size(0);
        int m = a.size(1);
        int k = a.size(2);
        int n = b.size(2);
        GemmOperand la = gemmOperand(a);
        GemmOperand lb = gemmOperand(b);
        CpuStorage out = CpuStorage.allocate(a.dtype(), batch * m * n);
        for (int i = 0; i < batch; i++) {
            int ao = la.offset + i * la.batchStride;
            int bo = lb.offset + i * lb.batchStride;
            if (out.f != null) {
                Gemm.sgemm(la.trans, lb.trans, m, n, k, la.s.f, ao, la.ld, lb.s.f, bo, lb.ld, out.f, i * m * n,
                        Math.max(1, n), false);
            } else {
                Gemm.dgemm(la.trans, lb.trans, m, n, k, la.s.d, ao, la.ld, lb.s.d, bo, lb.ld, out.d, i * m * n,
                        Math.max(1, n), false);
            }
        }
        return Tensor.of(out, batch, m, n);
    }

    /** One [B, R, C] operand of a batched GEMM: storage, offsets, and whether each matrix is stored transposed. */
    private record GemmOperand(CpuStorage s, int offset, int batchStride, boolean trans, int ld) {
    }

    /** Takes row-major or column-major (transposed) matrices as they are; copies anything else. */
    private GemmOperand gemmOperand(Tensor t) {
        int r = t.size(1);
        int c = t.size(2);
        int s1 = t.stride(1);
        int s2 = t.stride(2);
        if ((s2 == 1 || c == 1) && (r == 1 || s1 >= c)) {
            return new GemmOperand(storageOf(t), t.offset(), t.stride(0), false, r == 1 ? Math.max(1, c) : Math.max(1, s1));
        }
        if ((s1 == 1 || r == 1) && (c == 1 || s2 >= r)) {
            return new GemmOperand(storageOf(t), t.offset(), t.stride(0), true, c == 1 ? Math.max(1, r) : Math.max(1, s2));
        }
        Tensor copy = convert(t, t.dtype());
        return new GemmOperand(storageOf(copy), 0, r * c, false, Math.max(1, c));
    }

    // ---------------------------------------------------------------- convolution

    @Override
    public Tensor conv2d(Tensor x, Tensor weight, Tensor bias, ConvGeometry g) {
        CpuStorage sx = storageOf(contiguous(x));
        CpuStorage sw = storageOf(contiguous(weight));
        CpuStorage sb = bias == null ? null : storageOf(contiguous(bias));
        Storage out = x.dtype() == DType.F64
                ? CpuStorage.of(ReferenceConv2d.forward(sx.d, sw.d, sb == null ? null : sb.d, g))
                : CpuStorage.of(Conv2dKernels.forward(sx.f, sw.f, sb == null ? null : sb.f, g));
        return Tensor.of(out, g.outputShape());
    }

    @Override
    public Tensor conv2dFused(Tensor x, Tensor weight, Tensor scale, Tensor shift, Tensor residual, boolean relu,
                              ConvGeometry g) {
        CpuStorage sx = storageOf(contiguous(x));
        CpuStorage sw = storageOf(contiguous(weight));
        CpuStorage sc = scale == null ? null : storageOf(contiguous(scale));
        CpuStorage sh = shift == null ? null : storageOf(contiguous(shift));
        CpuStorage sr = residual == null ? null : storageOf(contiguous(residual));
        Storage out = x.dtype() == DType.F64
                ? CpuStorage.of(ReferenceConv2d.forwardFused(sx.d, sw.d, sc == null ? null : sc.d,
                        sh == null ? null : sh.d, sr == null ? null : sr.d, relu, g))
                : CpuStorage.of(Conv2dKernels.forwardFused(sx.f, sw.f, new Conv2dKernels.Epilogue(
                        sc == null ? null : sc.f, sh == null ? null : sh.f, sr == null ? null : sr.f, relu), g));
        return Tensor.of(out, g.outputShape());
    }

    @Override
    public Tensor conv2dBackwardInput(Tensor gradOut, Tensor weight, ConvGeometry g) {
        CpuStorage sg = gradientStorage("conv2d backward input", gradOut);
        CpuStorage sw = storageOf(contiguous(weight));
        Storage out = gradOut.dtype() == DType.F64
                ? CpuStorage.of(ReferenceConv2d.backwardInput(sg.d, sw.d, g))
                : CpuStorage.of(Conv2dKernels.backwardInput(sg.f, sw.f, g));
        return Tensor.of(out, g.inputShape());
    }

    @Override
    public Tensor conv2dBackwardWeight(Tensor gradOut, Tensor x, ConvGeometry g) {
        CpuStorage sg = gradientStorage("conv2d backward weight", gradOut);
        CpuStorage sx = storageOf(contiguous(x));
        Storage out = gradOut.dtype() == DType.F64
                ? CpuStorage.of(ReferenceConv2d.backwardWeight(sg.d, sx.d, g))
                : CpuStorage.of(Conv2dKernels.backwardWeight(sg.f, sx.f, g));
        return Tensor.of(out, g.weightShape());
    }

    // ---------------------------------------------------------------- pooling

    @Override
    public Tensor[] maxPool2d(Tensor x, PoolGeometry g) {
        CpuStorage sx = storageOf(contiguous(x));
        int[] argmax = StepMemory.ints(Shape.numel(g.outputShape()));
        Storage out = sx.f != null ? CpuStorage.of(PoolKernels.maxPool2d(sx.f, g, argmax))
                : CpuStorage.of(PoolKernels.maxPool2d(sx.d, g, argmax));
        long[] indices = StepMemory.longs(argmax.length);
        for (int i = 0; i < argmax.length; i++) {
            indices[i] = argmax[i];
        }
        StepMemory.giveBack(argmax);
        return new Tensor[] {Tensor.of(out, g.outputShape()), Tensor.of(CpuStorage.of(indices), g.outputShape())};
    }

    @Override
    public Tensor maxPool2dBackward(Tensor gradOut, Tensor indices, PoolGeometry g) {
        CpuStorage sg = gradientStorage("max_pool2d backward", gradOut);
        if (indices.dtype() != DType.I64) {
            throw new IllegalArgumentException("max_pool2d backward: indices must be I64, got " + indices.dtype());
        }
        long[] idx = storageOf(contiguous(indices)).l;
        int[] argmax = StepMemory.ints(idx.length);
        for (int i = 0; i < idx.length; i++) {
            argmax[i] = (int) idx[i];
        }
        Storage out = sg.f != null ? CpuStorage.of(PoolKernels.maxPool2dBackward(sg.f, argmax, g))
                : CpuStorage.of(PoolKernels.maxPool2dBackward(sg.d, argmax, g));
        StepMemory.giveBack(argmax);
        return Tensor.of(out, g.n(), g.c(), g.h(), g.w());
    }

    @Override
    public Tensor avgPool2d(Tensor x, PoolGeometry g, boolean countIncludePad) {
        CpuStorage sx = storageOf(contiguous(x));
        Storage out = sx.f != null ? CpuStorage.of(PoolKernels.avgPool2d(sx.f, g, countIncludePad))
                : CpuStorage.of(PoolKernels.avgPool2d(sx.d, g, countIncludePad));
        return Tensor.of(out, g.outputShape());
    }

    @Override
    public Tensor avgPool2dBackward(Tensor gradOut, PoolGeometry g, boolean countIncludePad) {
        CpuStorage sg = gradientStorage("avg_pool2d backward", gradOut);
        Storage out = sg.f != null ? CpuStorage.of(PoolKernels.avgPool2dBackward(sg.f, g, countIncludePad))
                : CpuStorage.of(PoolKernels.avgPool2dBackward(sg.d, g, countIncludePad));
        return Tensor.of(out, g.n(), g.c(), g.h(), g.w());
    }

    @Override
    public Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        CpuStorage sx = storageOf(contiguous(x));
        int[] s = x.shape();
        Storage out = sx.f != null ? CpuStorage.of(PoolKernels.adaptiveAvgPool2d(sx.f, s[0], s[1], s[2], s[3], outH, outW))
                : CpuStorage.of(PoolKernels.adaptiveAvgPool2d(sx.d, s[0], s[1], s[2], s[3], outH, outW));
        return Tensor.of(out, s[0], s[1], outH, outW);
    }

    @Override
    public Tensor adaptiveAvgPool2dBackward(Tensor gradOut, int[] s) {
        CpuStorage sg = gradientStorage("adaptive_avg_pool2d backward", gradOut);
        int oh = gradOut.size(2);
        int ow = gradOut.size(3);
        Storage out = sg.f != null
                ? CpuStorage.of(PoolKernels.adaptiveAvgPool2dBackward(sg.f, s[0], s[1], s[2], s[3], oh, ow))
                : CpuStorage.of(PoolKernels.adaptiveAvgPool2dBackward(sg.d, s[0], s[1], s[2], s[3], oh, ow));
        return Tensor.of(out, s);
    }

    // ---------------------------------------------------------------- normalisation

    @Override
    public Tensor[] batchNormTrain(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                   double momentum, double eps) {
        int[] s = x.shape();
        int n = s[0];
        int c = s[1];
        int hw = Shape.numel(s) / Math.max(1, n * c);
        CpuStorage sx = storageOf(contiguous(x));
        CpuStorage sw = weight == null ? null : storageOf(contiguous(weight));
        CpuStorage sb = bias == null ? null : storageOf(contiguous(bias));
        CpuStorage rm = runningMean == null ? null : storageOf(contiguous(runningMean));
        CpuStorage rv = runningVar == null ? null : storageOf(contiguous(runningVar));
        CpuStorage out = CpuStorage.allocate(x.dtype(), x.numel());
        CpuStorage mean = CpuStorage.allocate(x.dtype(), c);
        CpuStorage invStd = CpuStorage.allocate(x.dtype(), c);
        if (sx.f != null) {
            BatchNormKernels.trainForward(sx.f, n, c, hw, sw == null ? null : sw.f, sb == null ? null : sb.f,
                    rm == null ? null : rm.f, rv == null ? null : rv.f, momentum, eps, out.f, mean.f, invStd.f);
        } else {
            BatchNormKernels.trainForward(sx.d, n, c, hw, sw == null ? null : sw.d, sb == null ? null : sb.d,
                    rm == null ? null : rm.d, rv == null ? null : rv.d, momentum, eps, out.d, mean.d, invStd.d);
        }
        writeBack(rm, runningMean);
        writeBack(rv, runningVar);
        return new Tensor[] {Tensor.of(out, s), Tensor.of(mean, c), Tensor.of(invStd, c)};
    }

    @Override
    public Tensor[] batchNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd,
                                      boolean[] wanted, double eps) {
        int[] s = x.shape();
        int n = s[0];
        int c = s[1];
        int hw = Shape.numel(s) / Math.max(1, n * c);
        CpuStorage sg = gradientStorage("batch_norm backward", gradOut);
        CpuStorage sx = storageOf(contiguous(x));
        CpuStorage sw = weight == null ? null : storageOf(contiguous(weight));
        CpuStorage sm = storageOf(contiguous(saveMean));
        CpuStorage si = storageOf(contiguous(saveInvStd));
        DType dt = x.dtype();
        CpuStorage gx = wanted[0] ? CpuStorage.allocate(dt, x.numel()) : null;
        CpuStorage gw = wanted[1] ? CpuStorage.allocate(dt, c) : null;
        CpuStorage gb = wanted[2] ? CpuStorage.allocate(dt, c) : null;
        if (sx.f != null) {
            BatchNormKernels.backward(sg.f, sx.f, n, c, hw, sw == null ? null : sw.f, sm.f, si.f,
                    gx == null ? null : gx.f, gw == null ? null : gw.f, gb == null ? null : gb.f);
        } else {
            BatchNormKernels.backward(sg.d, sx.d, n, c, hw, sw == null ? null : sw.d, sm.d, si.d,
                    gx == null ? null : gx.d, gw == null ? null : gw.d, gb == null ? null : gb.d);
        }
        return new Tensor[] {
            gx == null ? null : Tensor.of(gx, s),
            gw == null ? null : Tensor.of(gw, c),
            gb == null ? null : Tensor.of(gb, c)};
    }

    // ---------------------------------------------------------------- indexing

    @Override
    public Tensor gatherRows(Tensor table, Tensor indices) {
        int m = table.size(0);
        int d = table.size(1);
        CpuStorage t = storageOf(contiguous(table));
        long[] idx = downloadLongs(indices);
        CpuStorage out = CpuStorage.allocate(table.dtype(), idx.length * d);
        for (int r = 0; r < idx.length; r++) {
            if (idx[r] < 0 || idx[r] >= m) {
                throw new IllegalArgumentException("gather_rows: row " + idx[r] + " out of range [0, " + m + ")");
            }
            if (t.f != null) {
                System.arraycopy(t.f, (int) idx[r] * d, out.f, r * d, d);
            } else {
                System.arraycopy(t.d, (int) idx[r] * d, out.d, r * d, d);
            }
        }
        return Tensor.of(out, idx.length, d);
    }

    // ---------------------------------------------------------------- optimizers

    /** Dense F32 parameters take the fused in-place kernel; anything else the composed default. */
    @Override
    public void sgdStep(List<Tensor> params, List<Tensor> grads, List<Tensor> buffers, boolean[] firstStep,
                        double lr, double weightDecay, double momentum, double dampening, boolean nesterov) {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor g = grads.get(i);
            Tensor buf = buffers.get(i);
            if (OptimizerKernels.fusable(p, g) && (buf == null || OptimizerKernels.fusable(buf))) {
                OptimizerKernels.sgd(p, g, buf, firstStep[i], lr, weightDecay, momentum, dampening, nesterov);
            } else {
                Backend.super.sgdStep(List.of(p), List.of(g), Collections.singletonList(buf),
                        new boolean[] {firstStep[i]}, lr, weightDecay, momentum, dampening, nesterov);
            }
        }
    }

    @Override
    public void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs,
                         long[] steps, double lr, double weightDecay, boolean decoupledDecay, double beta1,
                         double beta2, double eps) {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor g = grads.get(i);
            Tensor m = expAvgs.get(i);
            Tensor v = expAvgSqs.get(i);
            if (OptimizerKernels.fusable(p, g, m, v)) {
                OptimizerKernels.adam(p, g, m, v, steps[i], lr, weightDecay, decoupledDecay, beta1, beta2, eps);
            } else {
                Backend.super.adamStep(List.of(p), List.of(g), List.of(m), List.of(v), new long[] {steps[i]}, lr,
                        weightDecay, decoupledDecay, beta1, beta2, eps);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** True when the tensor covers its whole storage contiguously from offset 0, so kernels can take the array. */
    private static boolean dense(Tensor t) {
        return t.offset() == 0 && t.storage().size() == t.numel() && t.isContiguous();
    }

    private Tensor contiguous(Tensor t) {
        return dense(t) ? t : convert(t, t.dtype());
    }

    /** The storage of a backward method's incoming gradient, which the Backend contract makes dense. */
    private static CpuStorage gradientStorage(String op, Tensor gradOut) {
        if (!dense(gradOut)) {
            throw new IllegalArgumentException(op + ": incoming gradient must be dense (contiguous from offset 0 of"
                    + " its own storage), got shape " + Shape.format(gradOut.shape()) + " strides "
                    + Shape.format(gradOut.strides()) + " offset " + gradOut.offset() + " over a storage of "
                    + gradOut.storage().size());
        }
        return storageOf(gradOut);
    }

    private static CpuStorage storageOf(Tensor t) {
        if (!(t.storage() instanceof CpuStorage s)) {
            throw new IllegalArgumentException("cpu backend: tensor " + Shape.format(t.shape()) + " lives on backend "
                    + t.backend().name() + "; transfer it with Tensor.to(backend) first");
        }
        return s;
    }

    /** Copies updated statistics back when the kernel worked on a copy of a non-dense tensor. */
    private void writeBack(CpuStorage updated, Tensor target) {
        if (target != null && updated != target.storage()) {
            copy(Tensor.of(updated, target.shape()), target);
        }
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
