package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.Backends;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Which matmul operands reach cuBLAS as they are ({@link GemmOperand}) and the column-major call they become
 * ({@link StridedGemm}). The call is replayed by a column-major GEMM written from cuBLAS's definition over the
 * operands' storage arrays, and compared with a row-major product over the views' logical elements.
 */
class StridedGemmTest {

    /** The ways a [batch, rows, cols] operand reaches matmul in the engine, and one that needs a copy. */
    enum View {
        CONTIGUOUS, TRANSPOSED, BROADCAST, PADDED_ROWS, PADDED_TRANSPOSED, BROADCAST_TRANSPOSED, BATCH_OFFSET,
        STRIDED_COLUMNS
    }

    static Tensor view(View kind, Generator gen, int batch, int rows, int cols) {
        return switch (kind) {
            case CONTIGUOUS -> Tensor.randn(gen, batch, rows, cols);
            case TRANSPOSED -> Tensor.randn(gen, batch, cols, rows).transpose(1, 2);
            case BROADCAST -> Tensor.randn(gen, 1, rows, cols).expand(batch, rows, cols);
            case PADDED_ROWS -> Tensor.randn(gen, batch, rows, cols + 3).narrow(2, 2, cols);
            case PADDED_TRANSPOSED -> Tensor.randn(gen, batch, cols, rows + 2).narrow(2, 1, rows).transpose(1, 2);
            case BROADCAST_TRANSPOSED -> Tensor.randn(gen, 1, cols, rows).transpose(1, 2).expand(batch, rows, cols);
            case BATCH_OFFSET -> Tensor.randn(gen, batch + 1, rows, cols).narrow(0, 1, batch);
            case STRIDED_COLUMNS -> Tensor.randn(gen, batch, rows, 2 * cols).slice(2, 0, 2 * cols, 2);
        };
    }

    @Test
    void engineViewsAreTakenAsTheyAreAndOtherViewsCopied() {
        Generator gen = new Generator(1);
        for (View kind : View.values()) {
            Tensor t = view(kind, gen, 3, 4, 5);
            GemmOperand op = GemmOperand.of(t.shape(), t.strides());
            if (kind == View.STRIDED_COLUMNS) {
                assertNull(op, kind.name());
            } else {
                assertNotNull(op, kind.name());
                boolean transposed = kind == View.TRANSPOSED || kind == View.PADDED_TRANSPOSED
                        || kind == View.BROADCAST_TRANSPOSED;
                assertEquals(transposed, op.transposed(), kind.name());
            }
        }
        assertEquals(new GemmOperand(0, false, 5), GemmOperand.of(new int[] {3, 4, 5}, new int[] {0, 5, 1}));
        assertEquals(new GemmOperand(32, true, 6), GemmOperand.of(new int[] {2, 4, 5}, new int[] {32, 1, 6}));
        assertEquals(new GemmOperand(0, false, 5), GemmOperand.of(new int[] {1, 4, 5}, new int[] {-7, 5, 1}),
                "a single matrix's batch stride does not matter");
        assertNull(GemmOperand.of(new int[] {2, 4, 5}, new int[] {-20, 5, 1}), "negative batch stride");
        assertNull(GemmOperand.of(new int[] {2, 4, 5}, new int[] {20, 3, 1}), "overlapping rows");
        assertNull(GemmOperand.of(new int[] {2, 4, 5}, new int[] {20, 0, 1}), "rows broadcast");
        assertEquals(new GemmOperand(12, false, 4), GemmOperand.dense(3, 4));
    }

    @Test
    void theCallSwapsTheOperandsAndTheirDimensions() {
        GemmOperand left = new GemmOperand(0, true, 9);
        GemmOperand right = new GemmOperand(40, false, 8);
        StridedGemm g = StridedGemm.of(left, right, 3, 6, 7, 5);
        assertEquals(new StridedGemm(false, true, 7, 6, 5, 8, 40, 9, 0, 7, 42, 3), g);
    }

    @Property(tries = 300)
    void everyAcceptedPairReplaysToTheRowMajorProduct(@ForAll @IntRange(min = 0, max = 6) int kindA,
            @ForAll @IntRange(min = 0, max = 6) int kindB, @ForAll @IntRange(min = 1, max = 4) int batch,
            @ForAll @IntRange(min = 1, max = 7) int m, @ForAll @IntRange(min = 1, max = 7) int n,
            @ForAll @IntRange(min = 1, max = 7) int k, @ForAll long seed) {
        Generator gen = new Generator(seed);
        Tensor a = view(View.values()[kindA], gen, batch, m, k);
        Tensor b = view(View.values()[kindB], gen, batch, k, n);
        StridedGemm g = plan(a, b);
        checkLeadingDimensions(g);
        assertClose(product(a, b), replay(g, a, b), 1e-5, View.values()[kindA] + " x " + View.values()[kindB]);
    }

    /** The replay is strict enough to notice a wrong transposition or a wrong leading dimension. */
    @Test
    void theReplayCatchesAWrongCall() {
        Generator gen = new Generator(5);
        Tensor a = view(View.TRANSPOSED, gen, 2, 3, 4);
        Tensor b = view(View.PADDED_ROWS, gen, 2, 4, 3);
        StridedGemm g = plan(a, b);
        float[] expected = product(a, b);
        assertClose(expected, replay(g, a, b), 1e-5, "the right call");
        StridedGemm flipped = new StridedGemm(g.transA(), !g.transB(), g.m(), g.n(), g.k(), g.lda(), g.strideA(),
                g.ldb(), g.strideB(), g.ldc(), g.strideC(), g.batch());
        assertThrows(AssertionError.class, () -> assertClose(expected, replay(flipped, a, b), 1e-5, "flipped"));
        StridedGemm packed = new StridedGemm(g.transA(), g.transB(), g.m(), g.n(), g.k(), g.m(), g.strideA(),
                g.ldb(), g.strideB(), g.ldc(), g.strideC(), g.batch());
        assertFalse(packed.lda() == g.lda());
        assertThrows(AssertionError.class, () -> assertClose(expected, replay(packed, a, b), 1e-5, "packed lda"));
    }

    private static StridedGemm plan(Tensor a, Tensor b) {
        GemmOperand left = GemmOperand.of(a.shape(), a.strides());
        GemmOperand right = GemmOperand.of(b.shape(), b.strides());
        return StridedGemm.of(left, right, a.size(0), a.size(1), b.size(2), a.size(2));
    }

    /** cuBLAS's argument rules: each leading dimension at least the stored matrix's row count (column-major). */
    private static void checkLeadingDimensions(StridedGemm g) {
        assertTrue(g.lda() >= Math.max(1, g.transA() ? g.k() : g.m()), "lda " + g);
        assertTrue(g.ldb() >= Math.max(1, g.transB() ? g.n() : g.k()), "ldb " + g);
        assertTrue(g.ldc() >= Math.max(1, g.m()), "ldc " + g);
        assertTrue(g.strideA() >= 0 && g.strideB() >= 0 && g.strideC() == (long) g.m() * g.n(), "strides " + g);
    }

    /** The whole storage under {@code t}, as cuBLAS would see device memory. */
    private static float[] storage(Tensor t) {
        return Backends.cpu().downloadFloats(Tensor.of(t.storage(), t.storage().size()));
    }

    /** Runs {@code g} as cuBLAS defines column-major GEMM: its A is matmul's b, its B matmul's a. */
    private static float[] replay(StridedGemm g, Tensor a, Tensor b) {
        float[] ma = storage(b);
        float[] mb = storage(a);
        float[] c = new float[g.batch() * g.m() * g.n()];
        for (int batch = 0; batch < g.batch(); batch++) {
            long oa = b.offset() + batch * g.strideA();
            long ob = a.offset() + batch * g.strideB();
            long oc = batch * g.strideC();
            for (int j = 0; j < g.n(); j++) {
                for (int i = 0; i < g.m(); i++) {
                    double sum = 0;
                    for (int p = 0; p < g.k(); p++) {
                        double x = g.transA() ? ma[(int) (oa + p + (long) i * g.lda())]
                                : ma[(int) (oa + i + (long) p * g.lda())];
                        double y = g.transB() ? mb[(int) (ob + j + (long) p * g.ldb())]
                                : mb[(int) (ob + p + (long) j * g.ldb())];
                        sum += x * y;
                    }
                    c[(int) (oc + i + (long) j * g.ldc())] = (float) sum;
                }
            }
        }
        return c;
    }

    /** Row-major {@code a·b} over the views' logical elements, addressed through their own strides. */
    private static float[] product(Tensor a, Tensor b) {
        float[] sa = storage(a);
        float[] sb = storage(b);
        int batch = a.size(0);
        int m = a.size(1);
        int k = a.size(2);
        int n = b.size(2);
        float[] c = new float[batch * m * n];
        for (int z = 0; z < batch; z++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int p = 0; p < k; p++) {
                        sum += (double) sa[a.offset() + z * a.stride(0) + i * a.stride(1) + p * a.stride(2)]
                                * sb[b.offset() + z * b.stride(0) + p * b.stride(1) + j * b.stride(2)];
                    }
                    c[(z * m + i) * n + j] = (float) sum;
                }
            }
        }
        return c;
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(expected[i] - actual[i]) > tolerance * (1 + Math.abs(expected[i]))) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }
}
