package dev.graft.kernels;

import dev.graft.engine.Backend;
import dev.graft.engine.BinaryOp;
import dev.graft.engine.ConvGeometry;
import dev.graft.engine.DType;
import dev.graft.engine.PoolGeometry;
import dev.graft.engine.Shape;
import dev.graft.engine.Storage;
import dev.graft.engine.Tensor;
import dev.graft.engine.UnaryOp;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

import java.util.List;
import java.util.OptionalLong;

/**
 * The CUDA backend: tensors in device memory of one GPU ({@link CudaDevice}); convolution and batch norm
 * through cuDNN, matrix products through cuBLAS, everything else through graft's own kernels. Operations are
 * queued on the device's stream and return at once; downloads and {@link #synchronize()} wait for them.
 * Every tensor handed to it must live on it: a CPU tensor is refused with the operation's name, never copied
 * behind the caller's back.
 */
final class CudaBackend implements Backend {
    static final String NAME = "cuda";

    private final CudaDevice device;
    private final CudaElementwise elementwise;
    private final CudaReductions reductions;
    private final CudaLosses losses;
    private final CudaOptimizers optimizers;
    private final CudaPooling pooling;
    private final CudaIndexing indexing;
    private final CudnnConvolution convolution;
    private final CudnnBatchNorm batchNorm;
    private final CublasMatmul matmul;

    CudaBackend(CudaDevice device) {
        this.device = device;
        this.elementwise = new CudaElementwise(device);
        this.reductions = new CudaReductions(device, elementwise);
        this.losses = new CudaLosses(device);
        this.optimizers = new CudaOptimizers(device);
        this.pooling = new CudaPooling(device);
        this.indexing = new CudaIndexing(device);
        this.convolution = new CudnnConvolution(device);
        this.batchNorm = new CudnnBatchNorm(device);
        this.matmul = new CublasMatmul(device, elementwise);
    }

    @Override
    public String name() {
        return NAME;
    }

    CudaDevice device() {
        return device;
    }

    /** Checks that every tensor lives on this backend, naming the operation otherwise. */
    private void own(String op, Tensor... tensors) {
        device.enter();
        for (Tensor t : tensors) {
            if (t != null && !(t.storage() instanceof CudaStorage s && s.device() == device)) {
                throw new IllegalArgumentException("cuda backend: " + op + " got a tensor " + Shape.format(t.shape())
                        + " living on backend " + t.backend().name() + "; transfer it with Tensor.to(backend) first");
            }
        }
    }

    /** {@code t} itself when it covers its storage contiguously from offset 0, else such a copy. */
    private Tensor dense(Tensor t) {
        if (t == null || TensorLaunch.dense(t)) {
            return t;
        }
        Tensor out = Tensor.of(device.allocate(t.dtype(), t.numel()), t.shape());
        elementwise.copy(t, out);
        return out;
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Storage allocate(DType dtype, int size) {
        return device.zeros(dtype, size);
    }

    @Override
    public Storage upload(float[] data) {
        return upload(DType.F32, data.length, Pointer.to(data));
    }

    @Override
    public Storage upload(double[] data) {
        return upload(DType.F64, data.length, Pointer.to(data));
    }

    @Override
    public Storage upload(long[] data) {
        return upload(DType.I64, data.length, Pointer.to(data));
    }

    private Storage upload(DType dtype, int size, Pointer host) {
        CudaStorage s = device.allocate(dtype, size);
        long bytes = (long) size * CudaStorage.elementBytes(dtype);
        if (bytes > 0) {
            // Synchronous: the caller may reuse its array at once, and the blocking stream orders it after queued work.
            CudaException.checkDriver(JCudaDriver.cuMemcpyHtoD(DeviceAddress.at(s.address()), host, bytes),
                    "cuMemcpyHtoD(" + bytes + " bytes)");
        }
        return s;
    }

    @Override
    public double[] downloadDoubles(Tensor t) {
        double[] out = new double[t.numel()];
        download(t, DType.F64, Pointer.to(out));
        return out;
    }

    @Override
    public float[] downloadFloats(Tensor t) {
        float[] out = new float[t.numel()];
        download(t, DType.F32, Pointer.to(out));
        return out;
    }

    @Override
    public long[] downloadLongs(Tensor t) {
        long[] out = new long[t.numel()];
        download(t, DType.I64, Pointer.to(out));
        return out;
    }

    /** The elements of {@code t} in row-major order, converted to {@code dtype} on the device, into {@code host}. */
    private void download(Tensor t, DType dtype, Pointer host) {
        own("download", t);
        Tensor src = t;
        if (t.dtype() != dtype || !TensorLaunch.dense(t)) {
            src = Tensor.of(device.allocate(dtype, t.numel()), t.shape());
            elementwise.copy(t, src);
        }
        long bytes = (long) t.numel() * CudaStorage.elementBytes(dtype);
        device.synchronize();
        if (bytes > 0) {
            CudaException.checkDriver(JCudaDriver.cuMemcpyDtoH(host, DeviceAddress.at(CudaStorage.address(src)), bytes),
                    "cuMemcpyDtoH(" + bytes + " bytes)");
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        own("copy", src, dst);
        elementwise.copy(src, dst);
    }

    @Override
    public void fill(Tensor dst, double value) {
        own("fill", dst);
        elementwise.fill(dst, value);
    }

    @Override
    public void synchronize() {
        device.synchronize();
    }

    @Override
    public OptionalLong peakMemoryBytes() {
        return OptionalLong.of(device.allocator().statistics().peakAllocated());
    }

    @Override
    public void resetPeakMemory() {
        device.allocator().resetPeaks();
    }

    // ---------------------------------------------------------------- elementwise and reductions

    @Override
    public Tensor unary(UnaryOp op, Tensor x, double a, double b) {
        own("unary " + op, x);
        return elementwise.unary(op, x, a, b);
    }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        own("binary " + op, a, b);
        return elementwise.binary(op, a, b);
    }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b) {
        own("where", cond, a, b);
        return elementwise.where(cond, a, b);
    }

    @Override
    public Tensor oneHot(Tensor indices, int dim, int size, DType dtype) {
        own("one_hot", indices);
        return elementwise.oneHot(indices, dim, size, dtype);
    }

    @Override
    public Tensor sum(Tensor x, boolean[] reduce) {
        own("sum", x);
        return reductions.sum(x, reduce);
    }

    @Override
    public Tensor[] max(Tensor x, int dim) {
        own("max", x);
        return reductions.max(x, dim);
    }

    @Override
    public Tensor matmul(Tensor a, Tensor b) {
        own("matmul", a, b);
        return matmul.matmul(a, b);
    }

    // ---------------------------------------------------------------- convolution

    @Override
    public Tensor conv2d(Tensor x, Tensor weight, Tensor bias, ConvGeometry g) {
        own("conv2d", x, weight, bias);
        return convolution.forward(dense(x), dense(weight), dense(bias), g);
    }

    @Override
    public Tensor conv2dFused(Tensor x, Tensor weight, Tensor scale, Tensor shift, Tensor residual, boolean relu,
                              ConvGeometry g) {
        own("conv2d_fused", x, weight, scale, shift, residual);
        Tensor y = convolution.forward(dense(x), dense(weight), null, g);
        elementwise.convEpilogue(y, dense(scale), dense(shift), dense(residual), relu);
        return y;
    }

    @Override
    public Tensor conv2dBackwardInput(Tensor gradOut, Tensor weight, ConvGeometry g) {
        own("conv2d backward input", gradOut, weight);
        return convolution.backwardInput(dense(gradOut), dense(weight), g);
    }

    @Override
    public Tensor conv2dBackwardWeight(Tensor gradOut, Tensor x, ConvGeometry g) {
        own("conv2d backward weight", gradOut, x);
        return convolution.backwardWeight(dense(gradOut), dense(x), g);
    }

    // ---------------------------------------------------------------- pooling

    @Override
    public Tensor[] maxPool2d(Tensor x, PoolGeometry g) {
        own("max_pool2d", x);
        return pooling.maxPool2d(dense(x), g);
    }

    @Override
    public Tensor maxPool2dBackward(Tensor gradOut, Tensor indices, PoolGeometry g) {
        own("max_pool2d backward", gradOut, indices);
        return pooling.maxPool2dBackward(dense(gradOut), dense(indices), g);
    }

    @Override
    public Tensor avgPool2d(Tensor x, PoolGeometry g, boolean countIncludePad) {
        own("avg_pool2d", x);
        return pooling.avgPool2d(dense(x), g, countIncludePad);
    }

    @Override
    public Tensor avgPool2dBackward(Tensor gradOut, PoolGeometry g, boolean countIncludePad) {
        own("avg_pool2d backward", gradOut);
        return pooling.avgPool2dBackward(dense(gradOut), g, countIncludePad);
    }

    @Override
    public Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        own("adaptive_avg_pool2d", x);
        return pooling.adaptiveAvgPool2d(dense(x), outH, outW);
    }

    @Override
    public Tensor adaptiveAvgPool2dBackward(Tensor gradOut, int[] inputShape) {
        own("adaptive_avg_pool2d backward", gradOut);
        return pooling.adaptiveAvgPool2dBackward(dense(gradOut), inputShape);
    }

    // ---------------------------------------------------------------- normalisation

    @Override
    public Tensor[] batchNormTrain(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                   double momentum, double eps) {
        own("batch_norm", x, weight, bias, runningMean, runningVar);
        Tensor mean = dense(runningMean);
        Tensor var = dense(runningVar);
        Tensor[] r = batchNorm.train(dense(x), dense(weight), dense(bias), mean, var, momentum, eps);
        // The statistics are updated in place: a view's copy is written back.
        if (mean != runningMean) {
            elementwise.copy(mean, runningMean);
        }
        if (var != runningVar) {
            elementwise.copy(var, runningVar);
        }
        return r;
    }

    @Override
    public Tensor[] batchNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd,
                                      boolean[] wanted, double eps) {
        own("batch_norm backward", gradOut, x, weight, saveMean, saveInvStd);
        return batchNorm.backward(dense(gradOut), dense(x), dense(weight), dense(saveMean), dense(saveInvStd), wanted,
                eps);
    }

    // ---------------------------------------------------------------- indexing

    @Override
    public Tensor gatherRows(Tensor table, Tensor indices) {
        own("gather_rows", table, indices);
        return indexing.gatherRows(dense(table), dense(indices));
    }

    @Override
    public Tensor subsamplePadChannels(Tensor x, int pad) {
        own("subsample_pad_channels", x);
        return indexing.subsamplePadChannels(dense(x), pad);
    }

    @Override
    public Tensor subsamplePadChannelsBackward(Tensor gradOut, int[] inputShape, int pad) {
        own("subsample_pad_channels backward", gradOut);
        return indexing.subsamplePadChannelsBackward(dense(gradOut), inputShape, pad);
    }

    // ---------------------------------------------------------------- losses and optimizers

    @Override
    public Tensor[] softmaxCrossEntropy(Tensor logits, Tensor target, Tensor weight, double smoothing) {
        own("cross_entropy", logits, target, weight);
        return losses.forward(dense(logits), dense(target), dense(weight), smoothing);
    }

    @Override
    public Tensor softmaxCrossEntropyBackward(Tensor gradLoss, Tensor probs, Tensor target, Tensor weight,
                                              double smoothing) {
        own("cross_entropy backward", gradLoss, probs, target, weight);
        return losses.backward(gradLoss, dense(probs), dense(target), dense(weight), smoothing);
    }

    /** Dense F32 parameter groups take the multi-tensor kernel; anything else the composed default. */
    @Override
    public void sgdStep(List<Tensor> params, List<Tensor> grads, List<Tensor> buffers, boolean[] firstStep,
                        double lr, double weightDecay, double momentum, double dampening, boolean nesterov) {
        own("sgd", params.toArray(Tensor[]::new));
        own("sgd", grads.toArray(Tensor[]::new));
        own("sgd", buffers.toArray(Tensor[]::new));
        if (CudaOptimizers.fusable(params, grads, buffers)) {
            optimizers.sgd(params, grads, buffers, firstStep, lr, weightDecay, momentum, dampening, nesterov);
        } else {
            Backend.super.sgdStep(params, grads, buffers, firstStep, lr, weightDecay, momentum, dampening, nesterov);
        }
    }

    @Override
    public void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs,
                         long[] steps, double lr, double weightDecay, boolean decoupledDecay, double beta1,
                         double beta2, double eps) {
        own("adam", params.toArray(Tensor[]::new));
        own("adam", grads.toArray(Tensor[]::new));
        own("adam", expAvgs.toArray(Tensor[]::new));
        own("adam", expAvgSqs.toArray(Tensor[]::new));
        if (CudaOptimizers.fusable(params, grads, expAvgs, expAvgSqs)) {
            optimizers.adam(params, grads, expAvgs, expAvgSqs, steps, lr, weightDecay, decoupledDecay, beta1, beta2, eps);
        } else {
            Backend.super.adamStep(params, grads, expAvgs, expAvgSqs, steps, lr, weightDecay, decoupledDecay, beta1,
                    beta2, eps);
        }
    }
}
