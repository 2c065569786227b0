package dev.graft.kernels;

import static dev.graft.kernels.TensorLaunch.floating;
import static dev.graft.kernels.TensorLaunch.result;

import dev.graft.engine.DType;
import dev.graft.engine.PoolGeometry;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

import java.util.Arrays;

/**
 * 2-D pooling on the GPU with graft's own kernels (max_pool.cu, avg_pool.cu) over dense NCHW tensors. Max
 * pooling's indices are I64 positions {@code ih·w + iw} inside each input plane, as on the CPU. The backward
 * kernels gather, so they write every input gradient element and need no zeroed output.
 */
final class CudaPooling {
    /** The engine's pooling has no dilation. */
    private static final int NO_DILATION = 1;

    private final OpDevice device;

    CudaPooling(CudaDevice device) {
        this(OpDevice.of(device));
    }

    CudaPooling(OpDevice device) {
        this.device = device;
    }

    Tensor[] maxPool2d(Tensor x, PoolGeometry g) {
        String entry = floating("max_pool2d", x, KernelImage.MAX_POOL2D_FORWARD_F32,
                KernelImage.MAX_POOL2D_FORWARD_F64);
        expect("max_pool2d", "input", x, x.dtype(), g.n(), g.c(), g.h(), g.w());
        Tensor y = result(device, x.dtype(), g.outputShape());
        Tensor indices = result(device, DType.I64, g.outputShape());
        if (y.numel() > 0) {
            TensorLaunch.run(device, entry, y.numel(), with(g, x, y, indices));
        }
        return new Tensor[] {y, indices};
    }

    Tensor maxPool2dBackward(Tensor gradOut, Tensor indices, PoolGeometry g) {
        String entry = floating("max_pool2d backward", gradOut, KernelImage.MAX_POOL2D_BACKWARD_F32,
                KernelImage.MAX_POOL2D_BACKWARD_F64);
        int[] out = g.outputShape();
        expect("max_pool2d backward", "incoming gradient", gradOut, gradOut.dtype(), out);
        expect("max_pool2d backward", "indices", indices, DType.I64, out);
        Tensor gradIn = result(device, gradOut.dtype(), g.n(), g.c(), g.h(), g.w());
        if (gradIn.numel() > 0) {
            TensorLaunch.run(device, entry, gradIn.numel(), with(g, gradOut, indices, gradIn));
        }
        return gradIn;
    }

    Tensor avgPool2d(Tensor x, PoolGeometry g, boolean countIncludePad) {
        String entry = floating("avg_pool2d", x, KernelImage.AVG_POOL2D_FORWARD_F32,
                KernelImage.AVG_POOL2D_FORWARD_F64);
        expect("avg_pool2d", "input", x, x.dtype(), g.n(), g.c(), g.h(), g.w());
        Tensor y = result(device, x.dtype(), g.outputShape());
        if (y.numel() > 0) {
            TensorLaunch.run(device, entry, y.numel(), x, y, (long) g.n() * g.c(), g.h(), g.w(), g.outH(), g.outW(),
                    g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(), countIncludePad ? 1 : 0);
        }
        return y;
    }

    Tensor avgPool2dBackward(Tensor gradOut, PoolGeometry g, boolean countIncludePad) {
        String entry = floating("avg_pool2d backward", gradOut, KernelImage.AVG_POOL2D_BACKWARD_F32,
                KernelImage.AVG_POOL2D_BACKWARD_F64);
        expect("avg_pool2d backward", "incoming gradient", gradOut, gradOut.dtype(), g.outputShape());
        Tensor gradIn = result(device, gradOut.dtype(), g.n(), g.c(), g.h(), g.w());
        if (gradIn.numel() > 0) {
            TensorLaunch.run(device, entry, gradIn.numel(), gradOut, gradIn, (long) g.n() * g.c(), g.h(), g.w(),
                    g.outH(), g.outW(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(),
                    countIncludePad ? 1 : 0);
        }
        return gradIn;
    }

    Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        String entry = floating("adaptive_avg_pool2d", x, KernelImage.ADAPTIVE_AVG_POOL2D_FORWARD_F32,
                KernelImage.ADAPTIVE_AVG_POOL2D_FORWARD_F64);
        int[] s = x.shape();
        if (s.length != 4 || outH < 1 || outW < 1) {
            throw new IllegalArgumentException("adaptive_avg_pool2d: needs a 4-D [N, C, H, W] input and an output"
                    + " of at least 1x1, got " + Shape.format(s) + " to " + outH + "x" + outW);
        }
        expect("adaptive_avg_pool2d", "input", x, x.dtype(), s);
        Tensor y = result(device, x.dtype(), s[0], s[1], outH, outW);
        if (y.numel() > 0 && x.numel() > 0) {
            TensorLaunch.run(device, entry, y.numel(), x, y, (long) s[0] * s[1], s[2], s[3], outH, outW);
        }
        return y;
    }

    Tensor adaptiveAvgPool2dBackward(Tensor gradOut, int[] inputShape) {
        String entry = floating("adaptive_avg_pool2d backward", gradOut,
                KernelImage.ADAPTIVE_AVG_POOL2D_BACKWARD_F32, KernelImage.ADAPTIVE_AVG_POOL2D_BACKWARD_F64);
        int[] g = gradOut.shape();
        if (inputShape.length != 4 || g.length != 4 || g[0] != inputShape[0] || g[1] != inputShape[1]) {
            throw new IllegalArgumentException("adaptive_avg_pool2d backward: gradient " + Shape.format(g)
                    + " does not pool input " + Shape.format(inputShape));
        }
        expect("adaptive_avg_pool2d backward", "incoming gradient", gradOut, gradOut.dtype(), g);
        Tensor gradIn = result(device, gradOut.dtype(), inputShape);
        if (gradIn.numel() > 0 && gradOut.numel() > 0) {
            TensorLaunch.run(device, entry, gradIn.numel(), gradOut, gradIn, (long) g[0] * g[1], inputShape[2],
                    inputShape[3], g[2], g[3]);
        }
        return gradIn;
    }

    /** The max-pool kernels' arguments: three tensors, then planes and the geometry's ints ({@code POOL}). */
    private static Object[] with(PoolGeometry g, Tensor a, Tensor b, Tensor c) {
        return new Object[] {a, b, c, (long) g.n() * g.c(), g.h(), g.w(), g.outH(), g.outW(), g.kh(), g.kw(),
            g.strideH(), g.strideW(), g.padH(), g.padW(), NO_DILATION, NO_DILATION};
    }

    /** The kernels read dense NCHW data of the pooling's own shape. */
    private static void expect(String op, String what, Tensor t, DType dtype, int... shape) {
        if (t.dtype() != dtype || !Arrays.equals(t.shape(), shape) || !TensorLaunch.dense(t)) {
            throw new IllegalArgumentException(op + ": " + what + " must be dense " + dtype + " " + Shape.format(shape)
                    + ", got " + t.dtype() + " " + Shape.format(t.shape()) + " strides " + Shape.format(t.strides())
                    + " offset " + t.offset());
        }
    }
}
