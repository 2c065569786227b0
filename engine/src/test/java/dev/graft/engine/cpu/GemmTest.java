package dev.graft.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** sgemm and dgemm against a naive triple loop in double precision. */
class GemmTest {
    private static final boolean[] BOOLS = {false, true};

    /** Sizes around the micro-tile (8 x 32 with AVX-512), the KC=256 depth block and the MC=128 row block. */
    private static final int[][] EDGE_SHAPES = {
        {1, 1, 1}, {1, 1, 9}, {1, 45, 3}, {45, 1, 3}, {7, 9, 1}, {8, 32, 16}, {9, 33, 17}, {16, 64, 5},
        {5, 17, 256}, {13, 31, 257}, {3, 7, 600}, {129, 5, 3}, {131, 70, 260}, {2, 4100, 3},
    };

    @Test
    void edgeSizesAllTransposes() {
        long seed = 1;
        for (int[] s : EDGE_SHAPES) {
            for (boolean ta : BOOLS) {
                for (boolean tb : BOOLS) {
                    checkSgemm(ta, tb, s[0], s[1], s[2], 0, false, 1, seed++);
                }
            }
        }
    }

    @Test
    void offsetsAndLeadingDimensionsLargerThanNeeded() {
        long seed = 100;
        for (int[] s : new int[][] {{1, 1, 1}, {9, 33, 17}, {37, 45, 29}, {130, 3, 270}}) {
            for (boolean ta : BOOLS) {
                for (boolean tb : BOOLS) {
                    for (boolean acc : BOOLS) {
                        checkSgemm(ta, tb, s[0], s[1], s[2], 3, acc, 1, seed++);
                    }
                }
            }
        }
    }

    @Test
    void accumulateAddsToExistingC() {
        long seed = 200;
        for (boolean ta : BOOLS) {
            for (boolean tb : BOOLS) {
                checkSgemm(ta, tb, 23, 41, 300, 0, true, 1, seed++);
                checkSgemm(ta, tb, 1, 1, 1, 0, true, 1, seed++);
            }
        }
    }

    /** Big enough to pass the parallel threshold: slices over rows (m >= n) and over columns (m < n). */
    @Test
    void parallelSlicesCoverTheWholeResult() {
        long seed = 300;
        for (boolean ta : BOOLS) {
            for (boolean tb : BOOLS) {
                checkSgemm(ta, tb, 203, 121, 97, 1, false, 3, seed++);
                checkSgemm(ta, tb, 91, 263, 101, 2, true, 3, seed++);
                checkSgemm(ta, tb, 150, 150, 100, 0, false, 2, seed++);
            }
        }
    }

    @Test
    void zeroDepthZeroesOrKeepsC() {
        float[] c = {1, 2, 3, 4, 5, 6, 7};
        Gemm.sgemm(false, false, 2, 3, 0, new float[0], 0, 1, new float[0], 0, 3, c, 0, 3, true);
        assertEquals("[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]", Arrays.toString(c));
        Gemm.sgemm(false, false, 2, 3, 0, new float[0], 0, 1, new float[0], 0, 3, c, 0, 3, false);
        assertEquals("[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.0]", Arrays.toString(c));
        double[] d = {1, 2, 3};
        Gemm.dgemm(true, true, 1, 2, 0, new double[0], 0, 1, new double[0], 0, 1, d, 1, 2, false);
        assertEquals("[1.0, 0.0, 0.0]", Arrays.toString(d));
    }

    @Test
    void dgemmMatchesNaiveLoop() {
        long seed = 400;
        for (int[] s : new int[][] {{1, 1, 1}, {1, 7, 0}, {5, 1, 3}, {9, 33, 17}, {31, 20, 45}}) {
            for (boolean ta : BOOLS) {
                for (boolean tb : BOOLS) {
                    for (boolean acc : BOOLS) {
                        checkDgemm(ta, tb, s[0], s[1], s[2], 2, acc, seed++);
                    }
                }
            }
        }
    }

    @Test
    void rejectsInconsistentArguments() {
        float[] a = new float[6];
        float[] b = new float[6];
        float[] c = new float[4];
        var ld = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, a, 0, 2, b, 0, 2, c, 0, 2, false));
        assertTrue(ld.getMessage().contains("sgemm") && ld.getMessage().contains("leading dimension of A is 2"),
                ld.getMessage());
        var fit = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, a, 1, 3, b, 0, 2, c, 0, 2, false));
        assertTrue(fit.getMessage().contains("A (2 x 3, offset 1, leading dimension 3)"), fit.getMessage());
        var neg = assertThrows(IllegalArgumentException.class,
                () -> Gemm.dgemm(false, false, -1, 2, 3, new double[6], 0, 3, new double[6], 0, 2,
                        new double[4], 0, 2, false));
        assertTrue(neg.getMessage().contains("dgemm: negative size m=-1"), neg.getMessage());
    }

    @Property(tries = 100)
    void randomShapes(@ForAll @IntRange(min = 1, max = 70) int m, @ForAll @IntRange(min = 1, max = 70) int n,
                      @ForAll @IntRange(min = 1, max = 70) int k, @ForAll boolean transA, @ForAll boolean transB,
                      @ForAll boolean accumulate, @ForAll @IntRange(min = 0, max = 2) int pad) {
        checkSgemm(transA, transB, m, n, k, pad, accumulate, 1, 31L * m + 7L * n + k);
    }

    /**
     * B read in place from arbitrary, even overlapping, row starts (as a convolution's shifted windows are), against a
     * double-precision loop; sizes cross the micro-tile, the KC depth block and the parallel threshold.
     */
    @Property(tries = 60)
    void directRowsMatchNaiveLoop(@ForAll @IntRange(min = 1, max = 40) int m,
                                  @ForAll @IntRange(min = 1, max = 150) int n,
                                  @ForAll @IntRange(min = 1, max = 300) int k,
                                  @ForAll @IntRange(min = 0, max = 5) int rBase,
                                  @ForAll @IntRange(min = 1, max = 3) int threads) {
        SplittableRandom rnd = new SplittableRandom(1000L * m + 10L * n + k);
        float[] a = randomFloats(rnd, m * k);
        float[] b = randomFloats(rnd, n + 3 * k + 7);
        int[] rowStart = new int[rBase + k];
        for (int p = 0; p < rowStart.length; p++) {
            rowStart[p] = rnd.nextInt(b.length - n + 1);
        }
        float[] c = new float[m * n];
        Gemm.sgemmDirect(Gemm.pack(false, m, k, a, 0, k), b, rowStart, rBase, n, c, 0, n, threads);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double exact = 0;
                double magnitude = 0;
                for (int p = 0; p < k; p++) {
                    double prod = (double) a[i * k + p] * b[rowStart[rBase + p] + j];
                    exact += prod;
                    magnitude += Math.abs(prod);
                }
                assertEquals(exact, c[i * n + j], (k + 2) * 0x1p-24 * magnitude + 1e-30,
                        "direct m=" + m + " n=" + n + " k=" + k + " C[" + i + "][" + j + "]");
            }
        }
    }

    @Test
    void directRejectsRowsPastTheArray() {
        var e = assertThrows(IllegalArgumentException.class, () -> Gemm.sgemmDirect(
                Gemm.pack(false, 2, 2, new float[4], 0, 2), new float[10], new int[] {0, 7}, 0, 4, new float[8], 0, 4,
                1));
        assertEquals("sgemm direct: row 1 of B (4 floats from 7) does not fit in an array of length 10",
                e.getMessage());
    }

    /**
     * Runs sgemm on random data laid out with {@code pad} extra elements of offset and leading dimension, and checks
     * every element of C: the m x n block against a double-precision triple loop within the classic k·u error
     * bound, everything around it bit-for-bit unchanged.
     */
    private static void checkSgemm(boolean ta, boolean tb, int m, int n, int k, int pad, boolean accumulate,
                                   int threads, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int lda = (ta ? m : k) + pad;
        int ldb = (tb ? k : n) + pad;
        int ldc = n + pad;
        int aOff = pad;
        int bOff = 2 * pad;
        int cOff = pad;
        float[] a = randomFloats(rnd, aOff + (ta ? k : m) * lda);
        float[] b = randomFloats(rnd, bOff + (tb ? n : k) * ldb);
        float[] before = randomFloats(rnd, cOff + m * ldc + pad);
        float[] c = before.clone();
        Gemm.sgemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, threads);
        checkProduct("sgemm", ta, tb, m, n, k, pad, accumulate, threads, a, aOff, lda, b, bOff, ldb, before, c, cOff,
                ldc);
        // The same product with op(A) packed up front, as the convolutions use it.
        float[] cPacked = before.clone();
        Gemm.sgemm(Gemm.pack(ta, m, k, a, aOff, lda), tb, n, b, bOff, ldb, cPacked, cOff, ldc, accumulate, threads);
        checkProduct("sgemm pre-packed", ta, tb, m, n, k, pad, accumulate, threads, a, aOff, lda, b, bOff, ldb,
                before, cPacked, cOff, ldc);
    }

    private static void checkProduct(String what, boolean ta, boolean tb, int m, int n, int k, int pad,
                                     boolean accumulate, int threads, float[] a, int aOff, int lda, float[] b,
                                     int bOff, int ldb, float[] before, float[] c, int cOff, int ldc) {
        for (int idx = 0; idx < c.length; idx++) {
            int rel = idx - cOff;
            int i = rel >= 0 ? rel / ldc : -1;
            int j = rel >= 0 ? rel % ldc : -1;
            if (i < 0 || i >= m || j >= n) {
                assertEquals(before[idx], c[idx], 0f, what + " wrote outside C at " + idx);
                continue;
            }
            double exact = accumulate ? before[idx] : 0;
            double magnitude = Math.abs(exact);
            for (int p = 0; p < k; p++) {
                double prod = (double) (ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p])
                        * (tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j]);
                exact += prod;
                magnitude += Math.abs(prod);
            }
            double tol = (k + 2) * 0x1p-24 * magnitude + 1e-30;
            if (Math.abs(c[idx] - exact) > tol) {
                fail(what + " transA=" + ta + " transB=" + tb + " m=" + m + " n=" + n + " k=" + k + " pad=" + pad
                        + " accumulate=" + accumulate + " threads=" + threads + ": C[" + i + "][" + j + "] = "
                        + c[idx] + ", expected " + exact + " (tolerance " + tol + ")");
            }
        }
    }

    private static void checkDgemm(boolean ta, boolean tb, int m, int n, int k, int pad, boolean accumulate,
                                   long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int lda = Math.max(1, ta ? m : k) + pad;
        int ldb = Math.max(1, tb ? k : n) + pad;
        int ldc = n + pad;
        double[] a = rnd.doubles(pad + (ta ? k : m) * lda, -1, 1).toArray();
        double[] b = rnd.doubles(pad + (tb ? n : k) * ldb, -1, 1).toArray();
        double[] c = rnd.doubles(pad + m * ldc + pad, -1, 1).toArray();
        double[] before = c.clone();
        Gemm.dgemm(ta, tb, m, n, k, a, pad, lda, b, pad, ldb, c, pad, ldc, accumulate);
        for (int idx = 0; idx < c.length; idx++) {
            int rel = idx - pad;
            int i = rel >= 0 ? rel / ldc : -1;
            int j = rel >= 0 ? rel % ldc : -1;
            if (i < 0 || i >= m || j >= n) {
                assertEquals(before[idx], c[idx], 0.0, "dgemm wrote outside C at " + idx);
                continue;
            }
            double exact = accumulate ? before[idx] : 0;
            for (int p = 0; p < k; p++) {
                exact += (ta ? a[pad + p * lda + i] : a[pad + i * lda + p]) * (tb ? b[pad + j * ldb + p] : b[pad + p * ldb + j]);
            }
            assertEquals(exact, c[idx], 1e-12, "dgemm transA=" + ta + " transB=" + tb + " m=" + m + " n=" + n
                    + " k=" + k + " at C[" + i + "][" + j + "]");
        }
    }

    private static float[] randomFloats(SplittableRandom rnd, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) rnd.nextDouble(-1, 1);
        }
        return v;
    }
}
