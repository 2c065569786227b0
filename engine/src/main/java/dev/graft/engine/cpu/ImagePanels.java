package dev.graft.engine.cpu;

import dev.graft.engine.ConvGeometry;
import java.util.Arrays;
import java.util.function.IntFunction;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The column matrix of a convolution (im2col) for a chunk of consecutive images, packed straight from the images
 * into {@link Gemm}'s B panels without ever being written out whole. Row {@code r = (ch*kh + u)*kw + v} and column
 * {@code j} (image {@code b0 + j / (oh*ow)}, output pixel {@code (i, jx)} within it) hold
 * {@code x[b, ch, i*sh - ph + u*dh, jx*sw - pw + v*dw]}, zero in the padding. Writing the whole matrix first and
 * then packing it would move every element through memory twice more.
 *
 * <p>The chunk is first copied with its zero border (unless the convolution has no padding, when the images serve
 * as they are), so that every element is {@code src[tapOffset[r] + pixelOffset[j]]}: a row of the column matrix is
 * a gather with the pixels' offsets, a column one with the taps'. Planes of a few hundred pixels cut a row of the
 * column matrix into runs shorter than a panel, which copied run by run cost more than the vector gathers.
 *
 * <p>{@link #rows} gives the matrix itself (rows as GEMM depth: the forward pass, {@code y = w·col}), {@link
 * #columns} its transpose (pixels as depth: the weight gradient, {@code gw = gy·colᵀ}), each restricted to the rows
 * of one group starting at {@code rowBase}.
 */
final class ImagePanels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();

    private final float[] src;
    private final int[] tapOffset;
    private final int[] pixelOffset;

    /**
     * The chunk of {@code count} images from image {@code b0}; {@code buffer} lends an array of at least the given
     * length for the padded copy, which must stay untouched while the panels are in use.
     */
    ImagePanels(float[] x, ConvGeometry g, int b0, int count, IntFunction<float[]> buffer) {
        int hp = g.h() + 2 * g.padH();
        int wp = g.w() + 2 * g.padW();
        int plane = hp * wp;
        int image = Math.multiplyExact(g.c(), plane);
        int origin;
        if (g.padH() == 0 && g.padW() == 0) {
            src = x;
            origin = b0 * image;
        } else {
            src = buffer.apply(Math.multiplyExact(count, image));
            pad(x, g, b0, count, src);
            origin = 0;
        }
        tapOffset = new int[g.c() * g.kh() * g.kw()];
        for (int ch = 0, r = 0; ch < g.c(); ch++) {
            for (int u = 0; u < g.kh(); u++) {
                for (int v = 0; v < g.kw(); v++, r++) {
                    tapOffset[r] = ch * plane + u * g.dilH() * wp + v * g.dilW();
                }
            }
        }
        pixelOffset = new int[count * g.outH() * g.outW()];
        for (int b = 0, j = 0; b < count; b++) {
            for (int i = 0; i < g.outH(); i++) {
                int row = origin + b * image + i * g.strideH() * wp;
                for (int jx = 0; jx < g.outW(); jx++, j++) {
                    pixelOffset[j] = row + jx * g.strideW();
                }
            }
        }
    }

    /** Copies images [b0, b0+count) of x into {@code dst}, each plane inside a zero border of padH rows and padW columns. */
    static void pad(float[] x, ConvGeometry g, int b0, int count, float[] dst) {
        int hp = g.h() + 2 * g.padH();
        int wp = g.w() + 2 * g.padW();
        int planes = count * g.c();
        Arrays.fill(dst, 0, planes * hp * wp, 0f);
        for (int pl = 0; pl < planes; pl++) {
            int s = (b0 * g.c() + pl) * g.h() * g.w();
            int d = (pl * hp + g.padH()) * wp + g.padW();
            for (int i = 0; i < g.h(); i++, s += g.w(), d += wp) {
                System.arraycopy(x, s, dst, d, g.w());
            }
        }
    }

    /** op(B) = col[rowBase.., :], depth over rows, the chunk's pixels as columns. */
    Gemm.BPanels rows(int rowBase) {
        return (pc, kc, jc, nc, dst) -> {
            int last = Math.min(jc + nc, pixelOffset.length);
            int r = rowBase + pc;
            for (int j0 = jc, d = 0; j0 < last; j0 += Gemm.NR, d += Gemm.NR * kc) {
                int cols = Math.min(Gemm.NR, last - j0);
                if (cols < Gemm.NR) {
                    edge(dst, d, kc, cols, tapOffset, r, pixelOffset, j0);
                } else if (pixelOffset[j0 + Gemm.NR - 1] - pixelOffset[j0] == Gemm.NR - 1) {
                    // A panel's pixels in one run (pointwise convolutions, wide planes): plain vector loads.
                    int first = pixelOffset[j0];
                    for (int p = 0; p < kc; p++) {
                        int s = tapOffset[r + p] + first;
                        FloatVector.fromArray(SPECIES, src, s).intoArray(dst, d + p * Gemm.NR);
                        FloatVector.fromArray(SPECIES, src, s + V).intoArray(dst, d + p * Gemm.NR + V);
                    }
                } else {
                    gathered(dst, d, kc, tapOffset, r, pixelOffset, j0);
                }
            }
        };
    }

    /** op(B) = col[rowBase.., :]ᵀ, depth over the chunk's pixels, {@code rowCount} columns. */
    Gemm.BPanels columns(int rowBase, int rowCount) {
        return (pc, kc, jc, nc, dst) -> {
            for (int q = 0; q * Gemm.NR < nc; q++) {
                int r0 = rowBase + jc + q * Gemm.NR;
                int cols = Math.min(Gemm.NR, rowBase + rowCount - r0);
                int d = q * Gemm.NR * kc;
                if (cols < Gemm.NR) {
                    edge(dst, d, kc, cols, pixelOffset, pc, tapOffset, r0);
                } else {
                    gathered(dst, d, kc, pixelOffset, pc, tapOffset, r0);
                }
            }
        };
    }

    /**
     * A full panel, {@code dst[d + p*NR + j] = src[depthOffset[depth0 + p] + columnOffset[column0 + j]]}: two vector
     * gathers per depth p, with the column offsets as index map.
     */
    private void gathered(float[] dst, int d, int kc, int[] depthOffset, int depth0, int[] columnOffset,
                          int column0) {
        for (int p = 0; p < kc; p++) {
            int base = depthOffset[depth0 + p];
            int row = d + p * Gemm.NR;
            FloatVector.fromArray(SPECIES, src, base, columnOffset, column0).intoArray(dst, row);
            FloatVector.fromArray(SPECIES, src, base, columnOffset, column0 + V).intoArray(dst, row + V);
        }
    }

    /**
     * A panel narrower than NR: {@code dst[d + p*NR + j] = src[depthOffset[depth0 + p] + columnOffset[column0 + j]]}
     * for j below cols, zero beyond.
     */
    private void edge(float[] dst, int d, int kc, int cols, int[] depthOffset, int depth0, int[] columnOffset,
                      int column0) {
        for (int p = 0; p < kc; p++) {
            int base = depthOffset[depth0 + p];
            int row = d + p * Gemm.NR;
            for (int j = 0; j < cols; j++) {
                dst[row + j] = src[base + columnOffset[column0 + j]];
            }
            Arrays.fill(dst, row + cols, row + Gemm.NR, 0f);
        }
    }
}
