package dev.graft.engine.cpu;

import dev.graft.engine.ConvGeometry;
import java.util.Arrays;

/**
 * The column matrix of a convolution (im2col) for a chunk of consecutive images, packed straight from the images
 * into {@link Gemm}'s B panels without ever being written out whole. Row {@code r = (ch*kh + u)*kw + v} and column
 * {@code j} (image {@code b0 + j / (oh*ow)}, output pixel {@code (i, jx)} within it) hold
 * {@code x[b, ch, i*sh - ph + u*dh, jx*sw - pw + v*dw]}, zero in the padding. Writing the whole matrix first and
 * then packing it would move every element through memory twice more.
 *
 * <p>{@link #rows} gives the matrix itself (rows as GEMM depth: the forward pass, {@code y = w·col}), {@link
 * #columns} its transpose (pixels as depth: the weight gradient, {@code gw = gy·colᵀ}), each restricted to the rows
 * of one group starting at {@code rowBase}. A run of pixels is first cut into {@link Runs} along output rows, so
 * the copy loops do no index arithmetic beyond an add per run.
 */
final class ImagePanels {
    private final float[] x;
    private final ConvGeometry g;
    private final int b0;
    private final int ohw;
    private final int pixels;

    /** The chunk of {@code count} images from image {@code b0}. */
    ImagePanels(float[] x, ConvGeometry g, int b0, int count) {
        this.x = x;
        this.g = g;
        this.b0 = b0;
        this.ohw = g.outH() * g.outW();
        this.pixels = count * ohw;
    }

    /** op(B) = col[rowBase.., :], depth over rows, {@code pixels} columns. */
    Gemm.BPanels rows(int rowBase) {
        return (pc, kc, jc, nc, dst) -> {
            int last = Math.min(jc + nc, pixels);
            // Runs are cut at panel boundaries too, so each lands inside one NR-wide panel row; a panel's runs are
            // consecutive, and filling one panel at a time keeps the writes sequential.
            Runs runs = new Runs(jc, last - jc, Gemm.NR);
            Row[] rows = new Row[kc];
            for (int p = 0; p < kc; p++) {
                rows[p] = new Row(rowBase + pc + p);
            }
            int s0 = 0;
            for (int q = 0; s0 < runs.count; q++) {
                int s1 = s0;
                while (s1 < runs.count && runs.offset[s1] < (q + 1) * Gemm.NR) {
                    s1++;
                }
                int cols = Math.min(Gemm.NR, last - jc - q * Gemm.NR);
                int panel = q * Gemm.NR * kc;
                for (int p = 0; p < kc; p++) {
                    int d = panel + p * Gemm.NR - q * Gemm.NR;
                    for (int s = s0; s < s1; s++) {
                        rows[p].copy(runs, s, dst, d + runs.offset[s], 1);
                    }
                    if (cols < Gemm.NR) {
                        Arrays.fill(dst, panel + p * Gemm.NR + cols, panel + (p + 1) * Gemm.NR, 0f);
                    }
                }
                s0 = s1;
            }
        };
    }

    /** op(B) = col[rowBase.., :]ᵀ, depth over pixels, {@code rowCount} columns. */
    Gemm.BPanels columns(int rowBase, int rowCount) {
        return (pc, kc, jc, nc, dst) -> {
            Runs runs = new Runs(pc, kc, kc);
            for (int q = 0; q * Gemm.NR < nc; q++) {
                int r0 = jc + q * Gemm.NR;
                int cols = Math.min(Gemm.NR, rowCount - r0);
                int panel = q * Gemm.NR * kc;
                for (int jj = 0; jj < cols; jj++) {
                    Row row = new Row(rowBase + r0 + jj);
                    for (int s = 0; s < runs.count; s++) {
                        row.copy(runs, s, dst, panel + runs.offset[s] * Gemm.NR + jj, Gemm.NR);
                    }
                }
                if (cols < Gemm.NR) {
                    for (int p = 0; p < kc; p++) {
                        Arrays.fill(dst, panel + p * Gemm.NR + cols, panel + (p + 1) * Gemm.NR, 0f);
                    }
                }
            }
        };
    }

    /**
     * Pixels [j0, j0+len) of the chunk cut into runs that stay within one output row and one block of
     * {@code cut} pixels (counted from j0): run s starts {@code offset[s]} pixels after j0, at output column
     * {@code jx[s]} of row {@code i[s]} of image {@code image[s]} (relative to b0), and is {@code length[s]} long.
     */
    private final class Runs {
        final int[] offset;
        final int[] image;
        final int[] i;
        final int[] jx;
        final int[] length;
        int count;

        Runs(int j0, int len, int cut) {
            int ow = g.outW();
            int capacity = len / Math.min(ow, cut) + 2 * (len / cut + 1) + 1;
            offset = new int[capacity];
            image = new int[capacity];
            i = new int[capacity];
            jx = new int[capacity];
            length = new int[capacity];
            int b = j0 / ohw;
            int pix = j0 - b * ohw;
            int row = pix / ow;
            int col = pix - row * ow;
            for (int t = 0; t < len; ) {
                int n = Math.min(Math.min(ow - col, len - t), cut - t % cut);
                offset[count] = t;
                image[count] = b;
                i[count] = row;
                jx[count] = col;
                length[count] = n;
                count++;
                t += n;
                col += n;
                if (col == ow) {
                    col = 0;
                    if (++row == g.outH()) {
                        row = 0;
                        b++;
                    }
                }
            }
        }
    }

    /** One row (ch, u, v) of the column matrix: which input plane, which kernel tap, and its valid columns. */
    private final class Row {
        private final int u;
        private final int ch;
        private final int shift;
        private final int validLo;
        private final int validHi;

        Row(int r) {
            int v = r % g.kw();
            u = r / g.kw() % g.kh();
            ch = r / (g.kw() * g.kh());
            shift = v * g.dilW() - g.padW();
            validLo = Conv2dKernels.validFrom(shift, g.strideW(), g.outW());
            validHi = Math.max(validLo, Conv2dKernels.validTo(shift, g.strideW(), g.w(), g.outW()));
        }

        /** Writes run s of this row to {@code dst[d + t*stride]}: zeros in the padding, the input pixels between. */
        void copy(Runs runs, int s, float[] dst, int d, int stride) {
            int seg = runs.length[s];
            int jx = runs.jx[s];
            int ih = runs.i[s] * g.strideH() - g.padH() + u * g.dilH();
            if (ih < 0 || ih >= g.h()) {
                fill(dst, d, seg, stride);
                return;
            }
            int lo = Math.min(Math.max(jx, validLo), jx + seg);
            int hi = Math.max(lo, Math.min(jx + seg, validHi));
            int src = (((b0 + runs.image[s]) * g.c() + ch) * g.h() + ih) * g.w() + shift;
            fill(dst, d, lo - jx, stride);
            int o = d + (lo - jx) * stride;
            int sw = g.strideW();
            if (stride == 1 && sw == 1) {
                if (hi > lo) {
                    System.arraycopy(x, src + lo, dst, o, hi - lo);
                }
            } else {
                for (int j = lo; j < hi; j++, o += stride) {
                    dst[o] = x[src + j * sw];
                }
            }
            fill(dst, d + (hi - jx) * stride, jx + seg - hi, stride);
        }
    }

    private static void fill(float[] dst, int from, int count, int stride) {
        if (stride == 1) {
            Arrays.fill(dst, from, from + count, 0f);
        } else {
            for (int t = 0; t < count; t++) {
                dst[from + t * stride] = 0f;
            }
        }
    }
}
