package dev.graft.kernels;

import static dev.graft.kernels.TensorLaunch.floating;
import static dev.graft.kernels.TensorLaunch.result;
import static dev.graft.kernels.TensorLaunch.storage;
import static dev.graft.kernels.TensorLaunch.views;

import dev.graft.engine.BinaryOp;
import dev.graft.engine.DType;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import dev.graft.engine.UnaryOp;

import java.util.Arrays;

/**
 * The elementwise group on the GPU (elementwise.cu, convert.cu, one_hot.cu, conv_epilogue.cu): inputs are any
 * strided views, stride-0 broadcasts included, passed as {@code View} arguments; results are new dense tensors.
 */
final class CudaElementwise {
    private final OpDevice device;

    CudaElementwise(CudaDevice device) {
        this(OpDevice.of(device));
    }

    CudaElementwise(OpDevice device) {
        this.device = device;
    }

    Tensor unary(UnaryOp op, Tensor x, double a, double b) {
        String entry = floating("unary " + op, x, KernelImage.UNARY_F32, KernelImage.UNARY_F64);
        Tensor out = result(device, x.dtype(), x.shape());
        long n = x.numel();
        if (n > 0) {
            byte[][] v = views(x.shape(), x);
            TensorLaunch.run(device, entry, n, v[0], storage(x), out, n, op.ordinal(), a, b);
        }
        return out;
    }

    Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = "binary " + op;
        sameShape(name, a, b);
        sameDtype(name, a, b);
        String entry = floating(name, a, KernelImage.BINARY_F32, KernelImage.BINARY_F64);
        Tensor out = result(device, a.dtype(), a.shape());
        long n = a.numel();
        if (n > 0) {
            byte[][] v = views(a.shape(), a, b);
            TensorLaunch.run(device, entry, n, v[0], storage(a), v[1], storage(b), out, n, op.ordinal());
        }
        return out;
    }

    /** {@code cond} may be of any dtype, as on the CPU: it is converted to {@code a}'s first. */
    Tensor where(Tensor cond, Tensor a, Tensor b) {
        sameShape("where", a, b);
        sameShape("where", cond, a);
        sameDtype("where", a, b);
        String entry = floating("where", a, KernelImage.WHERE_F32, KernelImage.WHERE_F64);
        Tensor c = cond;
        if (cond.dtype() != a.dtype()) {
            c = result(device, a.dtype(), cond.shape());
            copy(cond, c);
        }
        Tensor out = result(device, a.dtype(), a.shape());
        long n = a.numel();
        if (n > 0) {
            byte[][] v = views(a.shape(), c, a, b);
            TensorLaunch.run(device, entry, n, v[0], storage(c), v[1], storage(a), v[2], storage(b), out, n);
        }
        return out;
    }

    /**
     * An index outside [0, size) leaves its column zero and sets the device's error flag, reported as an
     * {@link IllegalArgumentException} at the next synchronisation.
     */
    Tensor oneHot(Tensor indices, int dim, int size, DType dtype) {
        if (indices.dtype() != DType.I64) {
            throw new IllegalArgumentException("one_hot: indices must be I64, got " + indices.dtype() + " "
                    + Shape.format(indices.shape()));
        }
        int[] shape = indices.shape();
        if (dim < 0 || dim >= shape.length || shape[dim] != 1) {
            throw new IllegalArgumentException("one_hot: indices " + Shape.format(shape)
                    + " must have size 1 along dimension " + dim);
        }
        String entry = switch (dtype) {
            case F32 -> KernelImage.ONE_HOT_F32;
            case F64 -> KernelImage.ONE_HOT_F64;
            case I64 -> throw new IllegalArgumentException("one_hot: result dtype must be F32 or F64, got I64");
        };
        long outer = 1;
        for (int i = 0; i < dim; i++) {
            outer *= shape[i];
        }
        long inner = 1;
        for (int i = dim + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        shape[dim] = size;
        Tensor out = result(device, dtype, shape);
        long n = outer * size * inner;
        if (n > 0) {
            byte[][] v = views(indices.shape(), indices);
            TensorLaunch.run(device, entry, n, v[0], storage(indices), out, outer, (long) size, inner,
                    device.errorFlag());
        }
        return out;
    }

    /** {@code dst} = {@code src} (same shape), converting the dtype as the CPU does; both may be strided. */
    void copy(Tensor src, Tensor dst) {
        sameShape("copy", src, dst);
        long n = dst.numel();
        if (n > 0) {
            byte[][] v = views(dst.shape(), src, dst);
            TensorLaunch.run(device, KernelImage.copy(src.dtype(), dst.dtype()), n, v[0], storage(src), v[1],
                    storage(dst), n);
        }
    }

    void fill(Tensor dst, double value) {
        long n = dst.numel();
        if (n > 0) {
            byte[][] v = views(dst.shape(), dst);
            TensorLaunch.run(device, KernelImage.fill(dst.dtype()), n, v[0], storage(dst), n, value);
        }
    }

    /**
     * In place on the dense NCHW {@code y}: {@code y = act(y·scale[c] + shift[c] + residual)}, each of scale,
     * shift [C] (dense) and residual (dense, y's shape) optional, act ReLU when {@code relu}.
     */
    void convEpilogue(Tensor y, Tensor scale, Tensor shift, Tensor residual, boolean relu) {
        String entry = floating("conv2d epilogue", y, KernelImage.CONV_EPILOGUE_F32, KernelImage.CONV_EPILOGUE_F64);
        int[] s = y.shape();
        if (s.length < 2 || !TensorLaunch.dense(y)) {
            throw new IllegalArgumentException("conv2d epilogue: output must be a dense [N, C, ...] tensor, got "
                    + Shape.format(s) + " strides " + Shape.format(y.strides()) + " offset " + y.offset());
        }
        long n = y.numel();
        long channels = s[1];
        for (Tensor perChannel : new Tensor[] {scale, shift}) {
            if (perChannel != null && (perChannel.numel() != channels || perChannel.dtype() != y.dtype()
                    || !TensorLaunch.dense(perChannel))) {
                throw new IllegalArgumentException("conv2d epilogue: scale and shift must be dense " + y.dtype()
                        + " [" + channels + "], got " + perChannel.dtype() + " " + Shape.format(perChannel.shape()));
            }
        }
        if (residual != null && (!Arrays.equals(residual.shape(), s) || residual.dtype() != y.dtype()
                || !TensorLaunch.dense(residual))) {
            throw new IllegalArgumentException("conv2d epilogue: residual must be dense " + y.dtype() + " "
                    + Shape.format(s) + ", got " + residual.dtype() + " " + Shape.format(residual.shape()));
        }
        if (n > 0) {
            long hw = n / (s[0] * channels);
            TensorLaunch.run(device, entry, n, y, scale, shift, residual, n, channels, hw, relu ? 1 : 0);
        }
    }

    private static void sameShape(String op, Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": shapes " + Shape.format(a.shape()) + " and "
                    + Shape.format(b.shape()) + " differ");
        }
    }

    private static void sameDtype(String op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + ": dtypes " + a.dtype() + " and " + b.dtype() + " differ");
        }
    }
}
