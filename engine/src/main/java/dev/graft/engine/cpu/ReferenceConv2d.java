package dev.graft.engine.cpu;

import dev.graft.engine.ConvGeometry;
import dev.graft.engine.Shape;

/**
 * Direct-loop conv2d in double precision with PyTorch semantics (stride, zero padding, dilation, groups). It is
 * the F64 path and the reference the fast F32 kernels and the gradient checks are measured against, so every
 * method is the textbook sum written out, with no reordering for speed. Arrays are NCHW contiguous.
 */
public final class ReferenceConv2d {
    private ReferenceConv2d() {
    }

    /** {@code y[b,o,i,j] = bias[o] + sum_{ci,u,v} x[b, g*cg+ci, i*sh-ph+u*dh, j*sw-pw+v*dw] * w[o,ci,u,v]}. */
    /**
     * {@code act(conv(x, w)·scale[o] + shift[o] + residual)}, the twin of {@link Conv2dKernels#forwardFused}; null
     * arrays drop their term and {@code relu} keeps NaN.
     */
    public static double[] forwardFused(double[] x, double[] w, double[] scale, double[] shift, double[] residual,
                                        boolean relu, ConvGeometry g) {
        if (scale != null && scale.length != g.outC()) {
            throw new IllegalArgumentException("conv2d forward: scale has " + scale.length + " elements, expected "
                    + g.outC());
        }
        if (shift != null && shift.length != g.outC()) {
            throw new IllegalArgumentException("conv2d forward: bias has " + shift.length + " elements, expected "
                    + g.outC());
        }
        if (residual != null) {
            requireLength("forward", "residual", residual.length, g.outputShape());
        }
        double[] y = forward(x, w, null, g);
        int ohw = g.outH() * g.outW();
        for (int i = 0; i < y.length; i++) {
            int o = i / ohw % g.outC();
            double v = y[i] * (scale == null ? 1 : scale[o]) + (shift == null ? 0 : shift[o])
                    + (residual == null ? 0 : residual[i]);
            y[i] = relu && v < 0 ? 0 : v;
        }
        return y;
    }

    public static double[] forward(double[] x, double[] w, double[] bias, ConvGeometry g) {
        requireLength("forward", "input", x.length, g.inputShape());
        requireLength("forward", "weight", w.length, g.weightShape());
        if (bias != null && bias.length != g.outC()) {
            throw new IllegalArgumentException("conv2d forward: bias has " + bias.length + " elements, expected "
                    + g.outC());
        }
        int oh = g.outH();
        int ow = g.outW();
        int cg = g.groupC();
        int og = g.groupOutC();
        double[] y = new double[Shape.numel(g.outputShape())];
        for (int b = 0; b < g.n(); b++) {
            for (int o = 0; o < g.outC(); o++) {
                int group = o / og;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double s = bias == null ? 0 : bias[o];
                        for (int ci = 0; ci < cg; ci++) {
                            int c = group * cg + ci;
                            for (int u = 0; u < g.kh(); u++) {
                                int ih = i * g.strideH() - g.padH() + u * g.dilH();
                                if (ih < 0 || ih >= g.h()) {
                                    continue;
                                }
                                for (int v = 0; v < g.kw(); v++) {
                                    int iw = j * g.strideW() - g.padW() + v * g.dilW();
                                    if (iw < 0 || iw >= g.w()) {
                                        continue;
                                    }
                                    s += x[((b * g.c() + c) * g.h() + ih) * g.w() + iw]
                                            * w[((o * cg + ci) * g.kh() + u) * g.kw() + v];
                                }
                            }
                        }
                        y[((b * g.outC() + o) * oh + i) * ow + j] = s;
                    }
                }
            }
        }
        return y;
    }

    /** dL/dx: every output position scatters {@code gradOut * w} back onto the input pixels it read. */
    public static double[] backwardInput(double[] gradOut, double[] w, ConvGeometry g) {
        requireLength("backwardInput", "gradOut", gradOut.length, g.outputShape());
        requireLength("backwardInput", "weight", w.length, g.weightShape());
        int oh = g.outH();
        int ow = g.outW();
        int cg = g.groupC();
        int og = g.groupOutC();
        double[] gx = new double[Shape.numel(g.inputShape())];
        for (int b = 0; b < g.n(); b++) {
            for (int o = 0; o < g.outC(); o++) {
                int group = o / og;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double go = gradOut[((b * g.outC() + o) * oh + i) * ow + j];
                        for (int ci = 0; ci < cg; ci++) {
                            int c = group * cg + ci;
                            for (int u = 0; u < g.kh(); u++) {
                                int ih = i * g.strideH() - g.padH() + u * g.dilH();
                                if (ih < 0 || ih >= g.h()) {
                                    continue;
                                }
                                for (int v = 0; v < g.kw(); v++) {
                                    int iw = j * g.strideW() - g.padW() + v * g.dilW();
                                    if (iw < 0 || iw >= g.w()) {
                                        continue;
                                    }
                                    gx[((b * g.c() + c) * g.h() + ih) * g.w() + iw] +=
                                            go * w[((o * cg + ci) * g.kh() + u) * g.kw() + v];
                                }
                            }
                        }
                    }
                }
            }
        }
        return gx;
    }

    /** dL/dw: each weight collects {@code gradOut * x} over the batch and every output position. */
    public static double[] backwardWeight(double[] gradOut, double[] x, ConvGeometry g) {
        requireLength("backwardWeight", "gradOut", gradOut.length, g.outputShape());
        requireLength("backwardWeight", "input", x.length, g.inputShape());
        int oh = g.outH();
        int ow = g.outW();
        int cg = g.groupC();
        int og = g.groupOutC();
        double[] gw = new double[Shape.numel(g.weightShape())];
        for (int b = 0; b < g.n(); b++) {
            for (int o = 0; o < g.outC(); o++) {
                int group = o / og;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double go = gradOut[((b * g.outC() + o) * oh + i) * ow + j];
                        for (int ci = 0; ci < cg; ci++) {
                            int c = group * cg + ci;
                            for (int u = 0; u < g.kh(); u++) {
                                int ih = i * g.strideH() - g.padH() + u * g.dilH();
                                if (ih < 0 || ih >= g.h()) {
                                    continue;
                                }
                                for (int v = 0; v < g.kw(); v++) {
                                    int iw = j * g.strideW() - g.padW() + v * g.dilW();
                                    if (iw < 0 || iw >= g.w()) {
                                        continue;
                                    }
                                    gw[((o * cg + ci) * g.kh() + u) * g.kw() + v] +=
                                            go * x[((b * g.c() + c) * g.h() + ih) * g.w() + iw];
                                }
                            }
                        }
                    }
                }
            }
        }
        return gw;
    }

    private static void requireLength(String op, String what, int length, int[] shape) {
        if (length != Shape.numel(shape)) {
            throw new IllegalArgumentException("conv2d " + op + ": " + what + " has " + length
                    + " elements, expected " + Shape.numel(shape) + " for shape " + Shape.format(shape));
        }
    }
}
