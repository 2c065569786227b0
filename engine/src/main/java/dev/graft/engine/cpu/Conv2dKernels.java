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
 * <p>Per chunk of consecutive images (see {@link Plan}), the products run on the column matrix (im2col)
 * {@code col[c*kh*kw, images*outH*outW]}, whose rows of group g form a contiguous block, so with
 * {@code K = (c/groups)*kh*kw}:
 * <ul>
 *   <li>forward: {@code y[g] (oc/groups x OHW) = w[g] (oc/groups x K) · col[g]};</li>
 *   <li>backwardInput: {@code col[g] = w[g]^T · gradOut[g]}, then col2im scatter-adds it onto the input grid;</li>
 *   <li>backwardWeight: {@code gw[g] += gradOut[g] · col[g]^T}, summed over the batch.</li>
 * </ul>
 * The forward and weight-gradient GEMMs pack the column matrix straight from the images ({@link ImagePanels}), or
 * read a stride-1 image's in place ({@link Windows}); only backwardInput writes one out, for col2im. A 1x1,
 * stride-1, unpadded kernel makes the column matrix identical to the image itself.
 *
 * Several images are laid side by side in channel-major order, their outputs and gradients staged likewise.
 */
public final class Conv2dKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Per-image multiply-adds below which a parallel GEMM would spend more on forking than it gains. */
    private static final long SMALL_IMAGE_WORK = 1L << 22;
    /** Scratch buffers up to this many floats (16 MiB) are kept per thread for the next call; larger ones are not. */
    private static final int CACHED_MAX = 1 << 22;
    /** Elements per task of the memory-bound loops over weights (flips, sums of partial gradients). */
    private static final int COPY_GRAIN = 1 << 15;
    /** Output planes smaller than this many pixels are convolved several images per GEMM. */
    private static final int SMALL_PLANE = 512;
    /** A chunk of images spans at most this many output pixels, bounding its scratch buffers. */
    private static final int CHUNK_COLUMNS_MAX = 2048;

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
        Gemm.PackedA[] weights = packWeights(false, w, g);
        float[] y = forwardPacked(x, weights, epilogue, g, threads);
        giveBack(weights);
        return y;
    }

    private static float[] forwardPacked(float[] x, Gemm.PackedA[] weights, Epilogue epilogue, ConvGeometry g,
                                         int threads) {
        float[] y = StepMemory.floats(Shape.numel(g.outputShape()));
        Plan.of(g, threads).run((b0, count, scratch, gemmThreads) ->
                forwardChunk(x, weights, epilogue, y, b0, count, g, scratch, gemmThreads));
        return y;
    }

    static float[] backwardInput(float[] gradOut, float[] w, ConvGeometry g, int threads) {
        requireLength("backwardInput", "gradOut", gradOut.length, g.outputShape());
        requireLength("backwardInput", "weight", w.length, g.weightShape());
        if (asForward(g)) {
            ConvGeometry t = transposed(g);
            Gemm.PackedA[] weights;
            if (g.kh() == 1 && g.kw() == 1) {
                // A 1x1 kernel flipped is its transpose, which packing makes as it copies.
                weights = packWeights(true, w, g);
            } else {
                float[] wf = flipped(w, g);
                weights = packWeights(false, wf, t);
                StepMemory.giveBack(wf);
            }
            float[] gx = forwardPacked(gradOut, weights, null, t, threads);
            giveBack(weights);
            return gx;
        }
        float[] gx = StepMemory.floats(Shape.numel(g.inputShape()));
        Gemm.PackedA[] weights = packWeights(true, w, g);
        Plan.of(g, threads).run((b0, count, scratch, gemmThreads) ->
                backwardInputChunk(gradOut, weights, gx, b0, count, g, scratch, gemmThreads));
        giveBack(weights);
        return gx;
    }

    /**
     * Whether backwardInput can run as a forward convolution: with stride 1 and one group, dL/dx is the correlation
     * of dL/dy, padded by {@code dil·(k-1) - pad}, with the kernel flipped and its channel axes swapped. The forward
     * pass needs no col2im and reads its column matrix in place.
     */
    private static boolean asForward(ConvGeometry g) {
        return g.strideH() == 1 && g.strideW() == 1 && g.groups() == 1 && g.padH() <= g.dilH() * (g.kh() - 1)
                && g.padW() <= g.dilW() * (g.kw() - 1);
    }

    /** The geometry of that forward convolution: dL/dy [n, outC, oh, ow] in, dL/dx [n, c, h, w] out. */
    private static ConvGeometry transposed(ConvGeometry g) {
        return ConvGeometry.of(g.outputShape(), new int[] {g.c(), g.outC(), g.kh(), g.kw()}, new int[] {1, 1},
                new int[] {g.dilH() * (g.kh() - 1) - g.padH(), g.dilW() * (g.kw() - 1) - g.padW()},
                new int[] {g.dilH(), g.dilW()}, 1);
    }

    /** {@code wf[c][o][u][v] = w[o][c][kh-1-u][kw-1-v]}. */
    private static float[] flipped(float[] w, ConvGeometry g) {
        int kh = g.kh();
        int kw = g.kw();
        float[] wf = StepMemory.floats(w.length);
        Parallel.forEach(g.outC(), Math.max(1, COPY_GRAIN / (g.c() * kh * kw)), o -> {
            for (int c = 0; c < g.c(); c++) {
                int src = (o * g.c() + c) * kh * kw;
                int dst = (c * g.outC() + o) * kh * kw;
                for (int t = 0; t < kh * kw; t++) {
                    wf[dst + kh * kw - 1 - t] = w[src + t];
                }
            }
        });
        return wf;
    }

    static float[] backwardWeight(float[] gradOut, float[] x, ConvGeometry g, int threads) {
        requireLength("backwardWeight", "gradOut", gradOut.length, g.outputShape());
        requireLength("backwardWeight", "input", x.length, g.inputShape());
        int size = Shape.numel(g.weightShape());
        Plan plan = Plan.of(g, threads);
        if (!plan.parallel()) {
            float[] gw = StepMemory.floats(size);
            plan.run((b0, count, scratch, gemmThreads) ->
                    backwardWeightChunk(gradOut, x, gw, b0, count, b0 > 0, g, scratch, gemmThreads));
            return gw;
        }
        // Every image contributes to every weight, so each thread sums its share of the chunks into its own partial
        // result and the partials are added at the end; slice 0 writes straight into the returned array.
        int chunks = plan.chunks();
        int slices = Math.min(chunks, threads);
        float[][] partial = new float[slices][];
        for (int sl = 0; sl < slices; sl++) {
            partial[sl] = StepMemory.floats(size); // here, on the thread that may have a step open
        }
        Parallel.forEach(slices, 1, sl -> {
            float[] gw = partial[sl];
            int first = (int) ((long) chunks * sl / slices);
            int last = (int) ((long) chunks * (sl + 1) / slices);
            for (int c = first; c < last; c++) {
                boolean accumulate = c > first;
                plan.runChunk((b0, count, scratch, gemmThreads) ->
                        backwardWeightChunk(gradOut, x, gw, b0, count, accumulate, g, scratch, gemmThreads), c, 1);
            }
        });
        float[] gw = partial[0];
        Parallel.forRange(size, COPY_GRAIN, (from, to) -> {
            for (int c = 1; c < partial.length; c++) {
                float[] p = partial[c];
                for (int i = from; i < to; i++) {
                    gw[i] += p[i];
                }
            }
        });
        for (int c = 1; c < partial.length; c++) {
            StepMemory.giveBack(partial[c]);
        }
        return gw;
    }

    /**
     * How a call's images are grouped: chunks of {@code perChunk} consecutive images, each chunk one GEMM per group
     * whose columns are its images' output pixels side by side. Planes of a few hundred pixels (ResNet's 14x14 and
     * 7x7 stages) make narrow per-image GEMMs whose last micro-tiles are mostly padding, so their images are
     * chunked; larger planes go one image per chunk. Chunks run in parallel with single-threaded GEMMs when the
     * batch divides well over the threads (or per-image work is too small for a parallel GEMM); otherwise chunks
     * run one after another with parallel GEMMs. At most one set of scratch buffers per thread exists.
     */
    private record Plan(int n, int perChunk, boolean parallel, int threads) {
        static Plan of(ConvGeometry g, int threads) {
            int n = g.n();
            boolean parallel = imagesInParallel(g, threads);
            int ohw = g.outH() * g.outW();
            int per = 1;
            if (ohw < SMALL_PLANE && n > 1) {
                int share = parallel ? (n + threads - 1) / threads : n;
                per = Math.max(1, Math.min(share, CHUNK_COLUMNS_MAX / ohw));
            }
            return new Plan(n, per, parallel, threads);
        }

        int chunks() {
            return (n + perChunk - 1) / perChunk;
        }

        void run(ChunkBody body) {
            if (parallel) {
                Parallel.forEach(chunks(), 1, c -> runChunk(body, c, 1));
            } else {
                for (int c = 0; c < chunks(); c++) {
                    runChunk(body, c, threads);
                }
            }
        }

        private void runChunk(ChunkBody body, int c, int gemmThreads) {
            int b0 = c * perChunk;
            Scratch scratch = Scratch.borrow();
            try {
                body.run(b0, Math.min(perChunk, n - b0), scratch, gemmThreads);
            } finally {
                scratch.giveBack();
            }
        }
    }

    @FunctionalInterface
    private interface ChunkBody {
        void run(int b0, int count, Scratch scratch, int gemmThreads);
    }

    /**
     * A thread's buffers for one chunk: the column matrix and a staging matrix for the chunk's outputs or incoming
     * gradients in channel-major order. Borrowed (taken out of the thread-local) so a re-entrant call on the same
     * thread never shares them; buffers over {@link #CACHED_MAX} floats are not kept.
     */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> CACHE = new ThreadLocal<>();
        private float[] columns = new float[0];
        private float[] stage = new float[0];

        static Scratch borrow() {
            Scratch s = CACHE.get();
            if (s == null) {
                return new Scratch();
            }
            CACHE.remove();
            return s;
        }

        float[] columns(int size) {
            if (columns.length < size) {
                columns = new float[size];
            }
            return columns;
        }

        float[] stage(int size) {
            if (stage.length < size) {
                stage = new float[size];
            }
            return stage;
        }

        void giveBack() {
            if (columns.length > CACHED_MAX) {
                columns = new float[0];
            }
            if (stage.length > CACHED_MAX) {
                stage = new float[0];
            }
            CACHE.set(this);
        }
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
    private static void giveBack(Gemm.PackedA[] packed) {
        for (Gemm.PackedA p : packed) {
            p.giveBack();
        }
    }

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

    /** A matrix in an array: element (r, j) at {@code a[off + r*ld + j]}. */
    private record Matrix(float[] a, int off, int ld) {
    }

    /**
     * The chunk's output-shaped planes ({@code [outC, count*ohw]}, e.g. its incoming gradients) as one channel-major
     * matrix: in place for a single image, gathered into the stage buffer otherwise.
     */
    private static Matrix outputPlanes(float[] t, int b0, int count, ConvGeometry g, Scratch scratch) {
        int ohw = g.outH() * g.outW();
        int planeOut = g.outC() * ohw;
        if (count == 1) {
            return new Matrix(t, b0 * planeOut, ohw);
        }
        int cols = count * ohw;
        float[] stage = scratch.stage(g.outC() * cols);
        for (int i = 0; i < count; i++) {
            gatherPlanes(t, (b0 + i) * planeOut, g.outC(), ohw, stage, i * ohw, cols);
        }
        return new Matrix(stage, 0, cols);
    }

    /** Copies {@code channels} planes of {@code size} from {@code src[srcOff]} to rows of {@code dst} at column dstCol. */
    private static void gatherPlanes(float[] src, int srcOff, int channels, int size, float[] dst, int dstCol,
                                     int ld) {
        for (int ch = 0; ch < channels; ch++) {
            System.arraycopy(src, srcOff + ch * size, dst, ch * ld + dstCol, size);
        }
    }

    /** The inverse of {@link #gatherPlanes}. */
    private static void scatterPlanes(float[] src, int srcCol, int ld, int channels, int size, float[] dst,
                                      int dstOff) {
        for (int ch = 0; ch < channels; ch++) {
            System.arraycopy(src, ch * ld + srcCol, dst, dstOff + ch * size, size);
        }
    }

    private static void forwardChunk(float[] x, Gemm.PackedA[] weights, Epilogue epilogue, float[] y, int b0,
                                     int count, ConvGeometry g, Scratch scratch, int threads) {
        int ohw = g.outH() * g.outW();
        int og = g.groupOutC();
        int k = g.groupC() * g.kh() * g.kw();
        int cols = count * ohw;
        if (count == 1 && g.strideH() == 1 && g.strideW() == 1) {
            forwardDirect(x, weights, y, b0, g, scratch, threads);
            if (epilogue != null) {
                epilogue.apply(y, b0, g);
            }
            return;
        }
        // A strided image, or a chunk of images, packed straight from the images.
        Matrix dst = count == 1 ? new Matrix(y, b0 * g.outC() * ohw, ohw)
                : new Matrix(scratch.stage(g.outC() * cols), 0, cols);
        ImagePanels panels = new ImagePanels(x, g, b0, count, scratch::columns);
        for (int grp = 0; grp < g.groups(); grp++) {
            Gemm.sgemm(weights[grp], panels.rows(grp * k), cols, dst.a(), dst.off() + grp * og * dst.ld(), dst.ld(),
                    false, threads);
        }
        for (int i = 0; i < count; i++) {
            if (count > 1) {
                scatterPlanes(dst.a(), i * ohw, cols, g.outC(), ohw, y, (b0 + i) * g.outC() * ohw);
            }
            if (epilogue != null) {
                epilogue.apply(y, b0 + i, g);
            }
        }
    }

    /**
     * A stride-1 convolution of one image with its column matrix read in place ({@link Gemm#sgemmDirect} over
     * {@link Windows}); the {@code wp - ow} extra columns of every output row are dropped when the result is copied
     * out.
     */
    private static void forwardDirect(float[] x, Gemm.PackedA[] weights, float[] y, int b, ConvGeometry g,
                                      Scratch scratch, int threads) {
        int ow = g.outW();
        int ohw = g.outH() * ow;
        Windows win = Windows.of(x, b, g, scratch);
        int n = win.n();
        int k = g.groupC() * g.kh() * g.kw();
        int og = g.groupOutC();
        int yOff = b * g.outC() * ohw;
        // Rows as wide as the output go straight into y; wider ones through the stage buffer.
        boolean inPlace = win.wp() == ow;
        float[] dst = inPlace ? y : scratch.stage(g.outC() * n);
        int dstOff = inPlace ? yOff : 0;
        for (int grp = 0; grp < g.groups(); grp++) {
            Gemm.sgemmDirect(weights[grp], win.src(), win.rowStart(), grp * k, n, dst, dstOff + grp * og * n, n,
                    threads);
        }
        if (!inPlace) {
            for (int o = 0; o < g.outC(); o++) {
                for (int i = 0; i < g.outH(); i++) {
                    System.arraycopy(dst, o * n + i * win.wp(), y, yOff + o * ohw + i * ow, ow);
                }
            }
        }
    }

    /**
     * The column matrix of one image as windows over its zero-padded copy (rows {@code wp} wide, or the image itself
     * when unpadded): row (ch, u, v) is the {@code n} floats from {@code src[rowStart[r]]}, and output pixel (i, j) is
     * column {@code i·wp + j}, so every output row is computed {@code wp} wide. Stride 1 only.
     */
    private record Windows(float[] src, int[] rowStart, int wp, int n) {
        static Windows of(float[] x, int b, ConvGeometry g, Scratch scratch) {
            int hp = g.h() + 2 * g.padH();
            int wp = g.w() + 2 * g.padW();
            int xOff = b * g.c() * g.h() * g.w();
            float[] src = x;
            int origin = xOff;
            if (g.padH() > 0 || g.padW() > 0) {
                src = scratch.columns(g.c() * hp * wp);
                ImagePanels.pad(x, g, b, 1, src);
                origin = 0;
            }
            int[] rowStart = new int[g.c() * g.kh() * g.kw()];
            for (int ch = 0, r = 0; ch < g.c(); ch++) {
                for (int u = 0; u < g.kh(); u++) {
                    for (int v = 0; v < g.kw(); v++, r++) {
                        rowStart[r] = origin + ch * hp * wp + u * g.dilH() * wp + v * g.dilW();
                    }
                }
            }
            return new Windows(src, rowStart, wp, (g.outH() - 1) * wp + g.outW());
        }
    }

    private static void backwardInputChunk(float[] gy, Gemm.PackedA[] weights, float[] gx, int b0, int count,
                                           ConvGeometry g, Scratch scratch, int threads) {
        int ohw = g.outH() * g.outW();
        int og = g.groupOutC();
        int k = g.groupC() * g.kh() * g.kw();
        int cols = count * ohw;
        int planeIn = g.c() * g.h() * g.w();
        Matrix grad = outputPlanes(gy, b0, count, g, scratch);
        // A pointwise gradient is the GEMM's result itself: straight into gx for one image, copied out for a chunk.
        boolean direct = pointwise(g) && count == 1;
        Matrix dst = direct ? new Matrix(gx, b0 * planeIn, ohw)
                : new Matrix(scratch.columns(Math.multiplyExact(g.c() * g.kh() * g.kw(), cols)), 0, cols);
        for (int grp = 0; grp < g.groups(); grp++) {
            Gemm.sgemm(weights[grp], false, cols, grad.a(), grad.off() + grp * og * grad.ld(), grad.ld(),
                    dst.a(), dst.off() + grp * k * dst.ld(), dst.ld(), false, threads);
        }
        if (direct) {
            return;
        }
        for (int i = 0; i < count; i++) {
            if (pointwise(g)) {
                scatterPlanes(dst.a(), i * ohw, cols, g.c(), ohw, gx, (b0 + i) * planeIn);
            } else {
                col2im(dst.a(), i * ohw, cols, gx, (b0 + i) * planeIn, g, threads);
            }
        }
    }

    private static void backwardWeightChunk(float[] gy, float[] x, float[] gw, int b0, int count, boolean accumulate,
                                            ConvGeometry g, Scratch scratch, int threads) {
        int ohw = g.outH() * g.outW();
        int og = g.groupOutC();
        int k = g.groupC() * g.kh() * g.kw();
        int cols = count * ohw;
        if (count == 1 && g.strideH() == 1 && g.strideW() == 1 && !pointwise(g)) {
            backwardWeightDirect(gy, x, gw, b0, accumulate, g, scratch, threads);
            return;
        }
        Matrix grad = outputPlanes(gy, b0, count, g, scratch);
        boolean inPlace = pointwise(g) && count == 1;
        ImagePanels panels = inPlace ? null : new ImagePanels(x, g, b0, count, scratch::columns);
        for (int grp = 0; grp < g.groups(); grp++) {
            int aOff = grad.off() + grp * og * grad.ld();
            if (inPlace) {
                Gemm.sgemm(false, true, og, k, cols, grad.a(), aOff, grad.ld(), x,
                        b0 * g.c() * g.h() * g.w() + grp * k * ohw, ohw, gw, grp * og * k, k, accumulate, threads);
            } else {
                Gemm.sgemm(false, og, cols, grad.a(), aOff, grad.ld(), panels.columns(grp * k, k), k, gw, grp * og * k,
                        k, accumulate, threads);
            }
        }
    }

    /**
     * {@code gw += gy·colᵀ} for one stride-1 image with the column matrix as {@link Windows}: the gradient is laid out
     * with rows as wide as the windows' (zeros in the extra columns, so they add nothing) and the windows are packed,
     * transposed, straight from the padded image.
     */
    private static void backwardWeightDirect(float[] gy, float[] x, float[] gw, int b, boolean accumulate,
                                             ConvGeometry g, Scratch scratch, int threads) {
        int ow = g.outW();
        int ohw = g.outH() * ow;
        Windows win = Windows.of(x, b, g, scratch);
        int n = win.n();
        float[] grad = scratch.stage(g.outC() * n);
        Arrays.fill(grad, 0, g.outC() * n, 0f);
        for (int o = 0, src = b * g.outC() * ohw; o < g.outC(); o++) {
            for (int i = 0; i < g.outH(); i++, src += ow) {
                System.arraycopy(gy, src, grad, o * n + i * win.wp(), ow);
            }
        }
        int og = g.groupOutC();
        int k = g.groupC() * g.kh() * g.kw();
        for (int grp = 0; grp < g.groups(); grp++) {
            Gemm.sgemm(false, og, n, grad, grp * og * n, n, Gemm.transposedRows(win.src(), win.rowStart(), grp * k),
                    k, gw, grp * og * k, k, accumulate, threads);
        }
    }

    private static void col2im(float[] col, int colOff, int ld, float[] gx, int xOff, ConvGeometry g, int threads) {
        // Rows of different input channels scatter onto disjoint planes, so channel ranges can run concurrently.
        if (threads > 1) {
            Parallel.forRange(g.c(), 1, (c0, c1) -> col2im(col, colOff, ld, gx, xOff, g, c0, c1));
        } else {
            col2im(col, colOff, ld, gx, xOff, g, 0, g.c());
        }
    }

    /**
     * The adjoint of im2col ({@link ImagePanels}): adds every entry of the column matrix whose row r starts at
     * {@code col[colOff + r*ld]} back onto the input pixel it was read from.
     */
    private static void col2im(float[] col, int colOff, int ld, float[] gx, int xOff, ConvGeometry g, int c0, int c1) {
        int oh = g.outH();
        int ow = g.outW();
        for (int ch = c0; ch < c1; ch++) {
            for (int u = 0; u < g.kh(); u++) {
                for (int v = 0; v < g.kw(); v++) {
                    int row = colOff + ((ch * g.kh() + u) * g.kw() + v) * ld;
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
                            addInto(col, d + jLo, gx, s + jLo, jHi - jLo);
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

    /** {@code dst[dOff + i] += src[sOff + i]} for i in [0, len). */
    private static void addInto(float[] src, int sOff, float[] dst, int dOff, int len) {
        int i = 0;
        for (int upper = SPECIES.loopBound(len); i < upper; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, dst, dOff + i).add(FloatVector.fromArray(SPECIES, src, sOff + i))
                    .intoArray(dst, dOff + i);
        }
        for (; i < len; i++) {
            dst[dOff + i] += src[sOff + i];
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

    private static void requireLength(String op, String what, int length, int[] shape) {
        if (length != Shape.numel(shape)) {
            throw new IllegalArgumentException("conv2d " + op + ": " + what + " has " + length
                    + " elements, expected " + Shape.numel(shape) + " for shape " + Shape.format(shape));
        }
    }
}
