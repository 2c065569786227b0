package dev.graft.engine.cpu;

import dev.graft.engine.ConvGeometry;
import dev.graft.engine.Shape;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * F32 conv2d on NCHW contiguous arrays (offset 0), lowered to {@link Gemm#sgemm} per image and group with PyTorch
 * semantics: stride, zero padding, dilation and groups, depthwise included.
 *
 * <p>Per image, im2col unfolds the input into a column matrix {@code col[c*kh*kw, outH*outW]} whose rows of group
 * g form a contiguous block, so with {@code K = (c/groups)*kh*kw}:
 * <ul>
 *   <li>forward: {@code y[g] (oc/groups x OHW) = w[g] (oc/groups x K) · col[g]};</li>
 *   <li>backwardInput: {@code col[g] = w[g]^T · gradOut[g]}, then col2im scatter-adds it onto the input grid;</li>
 *   <li>backwardWeight: {@code gw[g] += gradOut[g] · col[g]^T}, summed over the batch.</li>
 * </ul>
 * A 1x1, stride-1, unpadded kernel makes the column matrix identical to the image itself, so it is skipped.
 *
 * <p>Threads: when the batch divides well over the threads (or per-image work is too small for a parallel GEMM),
 * each thread takes whole images with single-threaded GEMMs and its own column buffer; otherwise images run one
 * after another and the GEMMs and the im2col/col2im passes are parallel. Either way at most one column buffer per
 * thread exists, never one for the whole batch.
 */
public final class Conv2dKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Per-image multiply-adds below which a parallel GEMM would spend more on forking than it gains. */
    private static final long SMALL_IMAGE_WORK = 1L << 22;
    /** Column buffers up to this many floats (16 MiB) are kept per thread for the next call; larger ones are not. */
    private static final int CACHED_COLUMNS_MAX = 1 << 22;
    /** Borrowed (removed while in use) so a re-entrant call on the same thread never shares a buffer. */
    private static final ThreadLocal<float[]> COLUMNS = new ThreadLocal<>();

    private Conv2dKernels() {
    }

    /** Returns {@code y[n, outC, outH, outW]}; {@code bias} (length outC) may be null. */
    public static float[] forward(float[] x, float[] w, float[] bias, ConvGeometry g) {
        return forward(x, w, bias, g, Parallel.threads());
    }

    /**
     * Returns {@code y = act(conv(x, w)·scale[o] + shift[o] + residual)}, computed image by image with the epilogue
     * applied while each image's output is still in cache: an inference-time convolution with its batch norm folded
     * in, the residual add and the ReLU of a ResNet block. {@code scale}, {@code shift} (length outC) and
     * {@code residual} (the output's shape) may be null.
     */
    public static float[] forwardFused(float[] x, float[] w, Epilogue epilogue, ConvGeometry g) {
        return forwardFused(x, w, epilogue, g, Parallel.threads());
    }

    /**
     * Per output channel o, {@code v·scale[o] + shift[o] + residual}, then {@code max(v, 0)} when {@code relu}
     * (NaN stays NaN, as PyTorch's relu). Null arrays drop their term.
     */
    public record Epilogue(float[] scale, float[] shift, float[] residual, boolean relu) {
        void check(ConvGeometry g) {
            if (scale != null && scale.length != g.outC()) {
                throw new IllegalArgumentException("conv2d forward: scale has " + scale.length
                        + " elements, expected " + g.outC());
            }
            if (shift != null && shift.length != g.outC()) {
                throw new IllegalArgumentException("conv2d forward: bias has " + shift.length
                        + " elements, expected " + g.outC());
            }
            if (residual != null) {
                requireLength("forward", "residual", residual.length, g.outputShape());
            }
        }

        /** Applies the epilogue to image b's output planes in y. */
        void apply(float[] y, int b, ConvGeometry g) {
            int ohw = g.outH() * g.outW();
            int upper = SPECIES.loopBound(ohw);
            FloatVector zero = FloatVector.zero(SPECIES);
            for (int o = 0; o < g.outC(); o++) {
                int base = (b * g.outC() + o) * ohw;
                float sc = scale == null ? 1f : scale[o];
                float sh = shift == null ? 0f : shift[o];
                int i = 0;
                for (; i < upper; i += SPECIES.length()) {
                    FloatVector v = FloatVector.fromArray(SPECIES, y, base + i).fma(sc, sh);
                    if (residual != null) {
                        v = v.add(FloatVector.fromArray(SPECIES, residual, base + i));
                    }
                    if (relu) {
                        v = v.max(zero);
                    }
                    v.intoArray(y, base + i);
                }
                for (; i < ohw; i++) {
                    float v = Math.fma(y[base + i], sc, sh);
                    if (residual != null) {
                        v += residual[base + i];
                    }
                    y[base + i] = relu ? Math.max(v, 0f) : v;
                }
            }
        }
    }

    /** Returns dL/dx {@code [n, c, h, w]} given dL/dy {@code [n, outC, outH, outW]}. */
    public static float[] backwardInput(float[] gradOut, float[] w, ConvGeometry g) {
        return backwardInput(gradOut, w, g, Parallel.threads());
    }

    /** Returns dL/dw {@code [outC, c/groups, kh, kw]} given dL/dy and the forward input x. */
    public static float[] backwardWeight(float[] gradOut, float[] x, ConvGeometry g) {
        return backwardWeight(gradOut, x, g, Parallel.threads());
    }

    // The overloads below plan the work for a given number of threads: the public methods pass the pool's size,
    // tests pass other counts to exercise every strategy whatever machine they run on.

    static float[] forward(float[] x, float[] w, float[] bias, ConvGeometry g, int threads) {
        return forwardFused(x, w, bias == null ? null : new Epilogue(null, bias, null, false), g, threads);
    }

    static float[] forwardFused(float[] x, float[] w, Epilogue epilogue, ConvGeometry g, int threads) {
        requireLength("forward", "input", x.length, g.inputShape());
        requireLength("forward", "weight", w.length, g.weightShape());
        if (epilogue != null) {
            epilogue.check(g);
        }
        // Every element is written: by the GEMM, which does not accumulate here, then by the epilogue.
        float[] y = BufferPool.uninitialized(Shape.numel(g.outputShape()));
        Gemm.PackedA[] weights = packWeights(false, w, g);
        if (imagesInParallel(g, threads)) {
            Parallel.forRange(g.n(), 1, (from, to) -> {
                float[] col = borrowColumns(g);
                try {
                    for (int b = from; b < to; b++) {
                        forwardImage(x, weights, epilogue, y, b, g, col, 1);
                    }
                } finally {
                    giveBack(col);
                }
            });
        } else {
            float[] col = borrowColumns(g);
            try {
                for (int b = 0; b < g.n(); b++) {
                    forwardImage(x, weights, epilogue, y, b, g, col, threads);
                }
            } finally {
                giveBack(col);
            }
        }
        return y;
    }

    static float[] backwardInput(float[] gradOut, float[] w, ConvGeometry g, int threads) {
        requireLength("backwardInput", "gradOut", gradOut.length, g.outputShape());
        requireLength("backwardInput", "weight", w.length, g.weightShape());
        float[] gx = BufferPool.zeroed(Shape.numel(g.inputShape()));
        Gemm.PackedA[] weights = packWeights(true, w, g);
        if (imagesInParallel(g, threads)) {
            Parallel.forRange(g.n(), 1, (from, to) -> {
                float[] col = borrowColumns(g);
                try {
                    for (int b = from; b < to; b++) {
                        backwardInputImage(gradOut, weights, gx, b, g, col, 1);
                    }
                } finally {
                    giveBack(col);
                }
            });
        } else {
            float[] col = borrowColumns(g);
            try {
                for (int b = 0; b < g.n(); b++) {
                    backwardInputImage(gradOut, weights, gx, b, g, col, threads);
                }
            } finally {
                giveBack(col);
            }
        }
        return gx;
    }

    static float[] backwardWeight(float[] gradOut, float[] x, ConvGeometry g, int threads) {
        requireLength("backwardWeight", "gradOut", gradOut.length, g.outputShape());
        requireLength("backwardWeight", "input", x.length, g.inputShape());
        int size = Shape.numel(g.weightShape());
        if (!imagesInParallel(g, threads)) {
            float[] gw = new float[size];
            float[] col = borrowColumns(g);
            try {
                for (int b = 0; b < g.n(); b++) {
                    backwardWeightImage(gradOut, x, gw, b, b > 0, g, col, threads);
                }
            } finally {
                giveBack(col);
            }
            return gw;
        }
        // Every image contributes to every weight, so each slice of the batch sums into its own partial result
        // and the partials are added at the end; slice 0 writes straight into the returned array.
        int slices = Math.min(g.n(), threads);
        float[][] partial = new float[slices][];
        Parallel.forEach(slices, 1, s -> {
            int from = (int) ((long) g.n() * s / slices);
            int to = (int) ((long) g.n() * (s + 1) / slices);
            float[] gw = new float[size];
            float[] col = borrowColumns(g);
            try {
                for (int b = from; b < to; b++) {
                    backwardWeightImage(gradOut, x, gw, b, b > from, g, col, 1);
                }
            } finally {
                giveBack(col);
            }
            partial[s] = gw;
        });
        float[] gw = partial[0];
        for (int s = 1; s < slices; s++) {
            float[] p = partial[s];
            for (int i = 0; i < size; i++) {
                gw[i] += p[i];
            }
        }
        return gw;
    }

    /**
     * Whole images per thread when that balances (the batch divides over the threads, or is large enough that a
     * leftover image costs little) or when per-image GEMMs are too small to split; a parallel GEMM otherwise.
     */
    private static boolean imagesInParallel(ConvGeometry g, int threads) {
        if (threads <= 1 || g.n() < threads) {
            return false;
        }
        long work = (long) g.outC() * g.groupC() * g.kh() * g.kw() * g.outH() * g.outW();
        return g.n() % threads == 0 || g.n() >= 4 * threads || work < SMALL_IMAGE_WORK;
    }

    /**
     * Each group's weights packed once for all images: {@code w[g]} (og x K) for the forward pass, its transpose for
     * backwardInput.
     */
    private static Gemm.PackedA[] packWeights(boolean transpose, float[] w, ConvGeometry g) {
        int og = g.groupOutC();
        int k = g.groupC() * g.kh() * g.kw();
        Gemm.PackedA[] packed = new Gemm.PackedA[g.groups()];
        for (int grp = 0; grp < g.groups(); grp++) {
            packed[grp] = transpose ? Gemm.pack(true, k, og, w, grp * og * k, k) : Gemm.pack(false, og, k, w, grp * og * k, k);
        }
        return packed;
    }

    /** 1x1, stride 1, no padding: the column matrix would be a copy of the image (dilation is then irrelevant). */
    private static boolean pointwise(ConvGeometry g) {
        return g.kh() == 1 && g.kw() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0;
    }

    private static void forwardImage(float[] x, Gemm.PackedA[] weights, Epilogue epilogue, float[] y, int b,
                                     ConvGeometry g, float[] col, int threads) {
        int ohw = g.outH() * g.outW();
        int og = g.groupOutC();
        int k = g.groupC() * g.kh() * g.kw();
        int xOff = b * g.c() * g.h() * g.w();
        int yOff = b * g.outC() * ohw;
        float[] src = x;
        int srcOff = xOff;
        if (!pointwise(g)) {
            im2col(x, xOff, g, col, threads);
            src = col;
            srcOff = 0;
        }
        for (int grp = 0; grp < g.groups(); grp++) {
            Gemm.sgemm(weights[grp], false, ohw, src, srcOff + grp * k * ohw, ohw, y, yOff + grp * og * ohw, ohw,
                    false, threads);
        }
        if (epilogue != null) {
            epilogue.apply(y, b, g);
        }
    }

    private static void backwardInputImage(float[] gy, Gemm.PackedA[] weights, float[] gx, int b, ConvGeometry g,
                                           float[] col, int threads) {
        int ohw = g.outH() * g.outW();
        int og = g.groupOutC();
        int k = g.groupC() * g.kh() * g.kw();
        int xOff = b * g.c() * g.h() * g.w();
        int yOff = b * g.outC() * ohw;
        boolean direct = pointwise(g);
        float[] dst = direct ? gx : col;
        int dstOff = direct ? xOff : 0;
        for (int grp = 0; grp < g.groups(); grp++) {
            Gemm.sgemm(weights[grp], false, ohw, gy, yOff + grp * og * ohw, ohw, dst, dstOff + grp * k * ohw, ohw,
                    false, threads);
        }
        if (!direct) {
            col2im(col, gx, xOff, g, threads);
        }
    }

    private static void backwardWeightImage(float[] gy, float[] x, float[] gw, int b, boolean accumulate,
                                            ConvGeometry g, float[] col, int threads) {
        int ohw = g.outH() * g.outW();
        int og = g.groupOutC();
        int k = g.groupC() * g.kh() * g.kw();
        int xOff = b * g.c() * g.h() * g.w();
        int yOff = b * g.outC() * ohw;
        float[] src = x;
        int srcOff = xOff;
        if (!pointwise(g)) {
            im2col(x, xOff, g, col, threads);
            src = col;
            srcOff = 0;
        }
        for (int grp = 0; grp < g.groups(); grp++) {
            Gemm.sgemm(false, true, og, k, ohw, gy, yOff + grp * og * ohw, ohw, src, srcOff + grp * k * ohw, ohw,
                    gw, grp * og * k, k, accumulate, threads);
        }
    }

    private static void im2col(float[] x, int xOff, ConvGeometry g, float[] col, int threads) {
        if (threads > 1) {
            Parallel.forRange(g.c(), 1, (c0, c1) -> im2col(x, xOff, g, col, c0, c1));
        } else {
            im2col(x, xOff, g, col, 0, g.c());
        }
    }

    private static void col2im(float[] col, float[] gx, int xOff, ConvGeometry g, int threads) {
        // Rows of different input channels scatter onto disjoint planes, so channel ranges can run concurrently.
        if (threads > 1) {
            Parallel.forRange(g.c(), 1, (c0, c1) -> col2im(col, gx, xOff, g, c0, c1));
        } else {
            col2im(col, gx, xOff, g, 0, g.c());
        }
    }

    /**
     * Writes rows {@code (ch, u, v)} for channels [c0, c1) of the column matrix: {@code col[(ch*kh+u)*kw+v][i*ow+j]
     * = x[ch, i*sh-ph+u*dh, j*sw-pw+v*dw]}, zero where that falls in the padding.
     */
    private static void im2col(float[] x, int xOff, ConvGeometry g, float[] col, int c0, int c1) {
        int oh = g.outH();
        int ow = g.outW();
        for (int ch = c0; ch < c1; ch++) {
            for (int u = 0; u < g.kh(); u++) {
                for (int v = 0; v < g.kw(); v++) {
                    int row = ((ch * g.kh() + u) * g.kw() + v) * oh * ow;
                    int shift = v * g.dilW() - g.padW();
                    int jLo = validFrom(shift, g.strideW(), ow);
                    int jHi = Math.max(jLo, validTo(shift, g.strideW(), g.w(), ow));
                    for (int i = 0; i < oh; i++) {
                        int d = row + i * ow;
                        int ih = i * g.strideH() - g.padH() + u * g.dilH();
                        if (ih < 0 || ih >= g.h()) {
                            Arrays.fill(col, d, d + ow, 0f);
                            continue;
                        }
                        int s = xOff + (ch * g.h() + ih) * g.w() + shift;
                        Arrays.fill(col, d, d + jLo, 0f);
                        if (g.strideW() == 1) {
                            if (jHi > jLo) {
                                System.arraycopy(x, s + jLo, col, d + jLo, jHi - jLo);
                            }
                        } else {
                            for (int j = jLo; j < jHi; j++) {
                                col[d + j] = x[s + j * g.strideW()];
                            }
                        }
                        Arrays.fill(col, d + jHi, d + ow, 0f);
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2col}: adds every column entry back onto the input pixel it was read from. */
    private static void col2im(float[] col, float[] gx, int xOff, ConvGeometry g, int c0, int c1) {
        int oh = g.outH();
        int ow = g.outW();
        for (int ch = c0; ch < c1; ch++) {
            for (int u = 0; u < g.kh(); u++) {
                for (int v = 0; v < g.kw(); v++) {
                    int row = ((ch * g.kh() + u) * g.kw() + v) * oh * ow;
                    int shift = v * g.dilW() - g.padW();
                    int jLo = validFrom(shift, g.strideW(), ow);
                    int jHi = Math.max(jLo, validTo(shift, g.strideW(), g.w(), ow));
                    for (int i = 0; i < oh; i++) {
                        int ih = i * g.strideH() - g.padH() + u * g.dilH();
                        if (ih < 0 || ih >= g.h()) {
                            continue;
                        }
                        int d = row + i * ow;
                        int s = xOff + (ch * g.h() + ih) * g.w() + shift;
                        if (g.strideW() == 1) {
                            for (int j = jLo; j < jHi; j++) {
                                gx[s + j] += col[d + j];
                            }
                        } else {
                            for (int j = jLo; j < jHi; j++) {
                                gx[s + j * g.strideW()] += col[d + j];
                            }
                        }
                    }
                }
            }
        }
    }

    /** First output column j with {@code j*stride + shift >= 0} (clamped to [0, ow]). */
    private static int validFrom(int shift, int stride, int ow) {
        return shift >= 0 ? 0 : Math.min(ow, (-shift + stride - 1) / stride);
    }

    /** One past the last output column j with {@code j*stride + shift < width} (clamped to [0, ow]). */
    private static int validTo(int shift, int stride, int width, int ow) {
        int last = width - 1 - shift;
        return last < 0 ? 0 : Math.min(ow, last / stride + 1);
    }

    private static float[] borrowColumns(ConvGeometry g) {
        if (pointwise(g)) {
            return null;
        }
        int size = Math.multiplyExact(g.c() * g.kh() * g.kw(), g.outH() * g.outW());
        float[] buf = COLUMNS.get();
        COLUMNS.remove();
        return buf != null && buf.length >= size ? buf : new float[size];
    }

    private static void giveBack(float[] col) {
        if (col != null && col.length <= CACHED_COLUMNS_MAX) {
            COLUMNS.set(col);
        }
    }

    private static void requireLength(String op, String what, int length, int[] shape) {
        if (length != Shape.numel(shape)) {
            throw new IllegalArgumentException("conv2d " + op + ": " + what + " has " + length
                    + " elements, expected " + Shape.numel(shape) + " for shape " + Shape.format(shape));
        }
    }
}
