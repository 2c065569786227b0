package dev.graft.engine.fenced;

import dev.graft.engine.Backend;
import dev.graft.engine.Backends;
import dev.graft.engine.BinaryOp;
import dev.graft.engine.ConvGeometry;
import dev.graft.engine.DType;
import dev.graft.engine.PoolGeometry;
import dev.graft.engine.Shape;
import dev.graft.engine.Storage;
import dev.graft.engine.Tensor;
import dev.graft.engine.UnaryOp;

/**
 * A test-only second backend, standing in for a GPU: its own storage type ({@link FencedStorage}), arithmetic
 * delegated to the CPU kernels, and a fence: every tensor handed to it must be fenced, and the CPU kernels refuse
 * fenced storage. Running the gradient and parity suites with their inputs on this backend turns every place
 * where the engine allocates on, or reads from, the CPU behind a tensor's back into a failure. It overrides only
 * the primitive ops, so the composed defaults of the SPI (fused convolution, cross entropy, optimizer updates)
 * run here too.
 */
final class FencedBackend implements Backend {
    static final String NAME = "fenced";

    private final Backend cpu = Backends.cpu();

    @Override
    public String name() {
        return NAME;
    }

    /** The CPU view of a fenced tensor (same elements, same geometry); refuses any other tensor. */
    private Tensor in(String op, Tensor t) {
        if (t == null) {
            return null;
        }
        if (!(t.storage() instanceof FencedStorage f) || f.backend() != this) {
            throw new IllegalStateException("fenced backend: " + op + " got a tensor " + Shape.format(t.shape())
                    + " living on backend " + t.backend().name());
        }
        return Tensor.ofStrided(f.inner, t.shape(), t.strides(), t.offset());
    }

    private Tensor out(Tensor cpuResult) {
        if (cpuResult == null) {
            return null;
        }
        return Tensor.ofStrided(new FencedStorage(cpuResult.storage(), this), cpuResult.shape(), cpuResult.strides(),
                cpuResult.offset());
    }

    private Tensor[] out(Tensor[] cpuResults) {
        Tensor[] r = new Tensor[cpuResults.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = out(cpuResults[i]);
        }
        return r;
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Storage allocate(DType dtype, int size) {
        return new FencedStorage(cpu.allocate(dtype, size), this);
    }

    @Override
    public Storage upload(float[] data) {
        return new FencedStorage(cpu.upload(data), this);
    }

    @Override
    public Storage upload(double[] data) {
        return new FencedStorage(cpu.upload(data), this);
    }

    @Override
    public Storage upload(long[] data) {
        return new FencedStorage(cpu.upload(data), this);
    }

    @Override
    public double[] downloadDoubles(Tensor t) {
        return cpu.downloadDoubles(in("download", t));
    }

    @Override
    public float[] downloadFloats(Tensor t) {
        return cpu.downloadFloats(in("download", t));
    }

    @Override
    public long[] downloadLongs(Tensor t) {
        return cpu.downloadLongs(in("download", t));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        cpu.copy(in("copy", src), in("copy", dst));
    }

    @Override
    public void fill(Tensor dst, double value) {
        cpu.fill(in("fill", dst), value);
    }

    // ---------------------------------------------------------------- elementwise and reductions

    @Override
    public Tensor unary(UnaryOp op, Tensor x, double a, double b) {
        return out(cpu.unary(op, in("unary", x), a, b));
    }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        return out(cpu.binary(op, in("binary", a), in("binary", b)));
    }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b) {
        return out(cpu.where(in("where", cond), in("where", a), in("where", b)));
    }

    @Override
    public Tensor oneHot(Tensor indices, int dim, int size, DType dtype) {
        return out(cpu.oneHot(in("one_hot", indices), dim, size, dtype));
    }

    @Override
    public Tensor sum(Tensor x, boolean[] reduce) {
        return out(cpu.sum(in("sum", x), reduce));
    }

    @Override
    public Tensor[] max(Tensor x, int dim) {
        return out(cpu.max(in("max", x), dim));
    }

    @Override
    public Tensor matmul(Tensor a, Tensor b) {
        return out(cpu.matmul(in("matmul", a), in("matmul", b)));
    }

    // ---------------------------------------------------------------- convolution, pooling, normalisation

    @Override
    public Tensor conv2d(Tensor x, Tensor weight, Tensor bias, ConvGeometry g) {
        return out(cpu.conv2d(in("conv2d", x), in("conv2d", weight), in("conv2d", bias), g));
    }

    @Override
    public Tensor conv2dBackwardInput(Tensor gradOut, Tensor weight, ConvGeometry g) {
        return out(cpu.conv2dBackwardInput(in("conv2d backward", gradOut), in("conv2d backward", weight), g));
    }

    @Override
    public Tensor conv2dBackwardWeight(Tensor gradOut, Tensor x, ConvGeometry g) {
        return out(cpu.conv2dBackwardWeight(in("conv2d backward", gradOut), in("conv2d backward", x), g));
    }

    @Override
    public Tensor[] maxPool2d(Tensor x, PoolGeometry g) {
        return out(cpu.maxPool2d(in("max_pool2d", x), g));
    }

    @Override
    public Tensor maxPool2dBackward(Tensor gradOut, Tensor indices, PoolGeometry g) {
        return out(cpu.maxPool2dBackward(in("max_pool2d backward", gradOut), in("max_pool2d backward", indices), g));
    }

    @Override
    public Tensor avgPool2d(Tensor x, PoolGeometry g, boolean countIncludePad) {
        return out(cpu.avgPool2d(in("avg_pool2d", x), g, countIncludePad));
    }

    @Override
    public Tensor avgPool2dBackward(Tensor gradOut, PoolGeometry g, boolean countIncludePad) {
        return out(cpu.avgPool2dBackward(in("avg_pool2d backward", gradOut), g, countIncludePad));
    }

    @Override
    public Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        return out(cpu.adaptiveAvgPool2d(in("adaptive_avg_pool2d", x), outH, outW));
    }

    @Override
    public Tensor adaptiveAvgPool2dBackward(Tensor gradOut, int[] inputShape) {
        return out(cpu.adaptiveAvgPool2dBackward(in("adaptive_avg_pool2d backward", gradOut), inputShape));
    }

    @Override
    public Tensor[] batchNormTrain(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                   double momentum, double eps) {
        String op = "batch_norm";
        return out(cpu.batchNormTrain(in(op, x), in(op, weight), in(op, bias), in(op, runningMean),
                in(op, runningVar), momentum, eps));
    }

    @Override
    public Tensor[] batchNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd,
                                      boolean[] wanted, double eps) {
        String op = "batch_norm backward";
        return out(cpu.batchNormBackward(in(op, gradOut), in(op, x), in(op, weight), in(op, saveMean),
                in(op, saveInvStd), wanted, eps));
    }
}
