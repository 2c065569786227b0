package dev.graft.engine.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dense matrix multiply on row-major arrays: {@code C = op(A)·op(B)} or {@code C += op(A)·op(B)}.
 *
 * <p>{@link #sgemm} follows the GotoBLAS/BLIS structure: op(B) is packed into {@code KC x NC} blocks of
 * {@link #NR}-column micro-panels, op(A) into {@code MC x KC} blocks of {@link #MR}-row micro-panels, and a
 * register-blocked micro-kernel computes each {@code MR x NR} tile of C with vector FMAs while one B micro-panel
 * stays in L1 and the A block in L2. Packing also absorbs the transposes and zero-pads the edges, so the
 * micro-kernel only ever sees full tiles. Large problems are split over rows or columns of C into independent
 * sub-multiplies, one per thread, each with its own packing buffers.
 *
 * <p>{@link #dgemm} is the plain double-precision path used for F64 tensors and reference checks.
 */
public final class Gemm {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    /**
     * Rows of a micro-tile. 8 rows x 2 vectors = 16 accumulators: with AVX-512's 32 registers that leaves room for
     * the B vectors and the broadcast A value, and 16 independent FMA chains cover two FMA pipes' latency.
     */
    static final int MR = 8;
    /** Columns of a micro-tile: two vectors. */
    static final int NR = 2 * V;
    /** Depth of a packed block: an NR-wide B micro-panel of KC rows (32 KiB with AVX-512) stays in L1. */
    private static final int KC = 256;
    /** Elements of A packed per task when {@link #pack} runs in parallel. */
    private static final int PACK_GRAIN = 1 << 16;
    /** Rows of a packed A block (MC x KC floats = 128 KiB): stays in L2 while B micro-panels stream past it. */
    private static final int MC = 128;
    /** Columns of a packed B block (KC x NC floats = 4 MiB): shared-cache resident. */
    private static final int NC = 4096;
    /** Below this many multiply-adds a call runs on the calling thread: forking would cost more than it saves. */
    private static final long PARALLEL_MIN_WORK = 1L << 21;

    /** Packing buffers are borrowed (taken out of the thread-local) so that a re-entrant call never shares one. */
    private static final ThreadLocal<float[]> PACK_A = new ThreadLocal<>();
    private static final ThreadLocal<float[]> PACK_B = new ThreadLocal<>();

    private Gemm() {
    }

    /**
     * {@code C[m x n] = op(A)·op(B)}, or {@code C += op(A)·op(B)} when {@code accumulate}. All matrices are
     * row-major. op(A) is A ({@code m x k}, {@code lda >= k}) or, when {@code transA}, A is stored {@code k x m}
     * ({@code lda >= m}) and transposed; likewise op(B) is B ({@code k x n}) or the transpose of a stored
     * {@code n x k} B. With {@code k == 0} C becomes zero, or is left unchanged when accumulating.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, Parallel.threads());
    }

    /**
     * As the public {@code sgemm}, split into at most {@code threads} independent slices ({@code 1} keeps the
     * work on the calling thread; tests pass more than the pool has to exercise the slicing).
     */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate, int threads) {
        check("sgemm", transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
        run(new RawA(transA, a, aOff, lda), m, k, bPanels(transB, b, bOff, ldb), n, c, cOff, ldc, accumulate,
                threads);
    }

    /**
     * op(A) packed once for several products with different B, as a convolution's weights serve every image of a
     * batch: for each depth block pc (KC deep) the MR-row micro-panels of all m rows, zero-padded to a multiple of
     * MR, so the block of rows [i, i+mc) at depth block pc starts at {@code pc·mPadded + i·kc}.
     */
    public static final class PackedA {
        private final float[] data;
        private final int m;
        private final int k;
        private final int mPadded;

        private PackedA(float[] data, int m, int k, int mPadded) {
            this.data = data;
            this.m = m;
            this.k = k;
            this.mPadded = mPadded;
        }

        /** The caller is done with it: its array serves the rest of an open {@link StepMemory} step. */
        void giveBack() {
            StepMemory.giveBack(data);
        }
    }

    /** A pre-packed op(A): every block is already in place, shared by all threads. */
    private record Prepacked(PackedA a) implements ASource {
        @Override
        public int block(int ic, int mc, int pc, int kc) {
            return pc * a.mPadded + ic * kc;
        }

        @Override
        public float[] array() {
            return a.data;
        }

        @Override
        public ASource forSlice() {
            return this;
        }

        @Override
        public void release() {
        }
    }

    /** Packs op(A) ({@code m x k}, transposed as in {@link #sgemm}) for {@link #sgemm(PackedA, boolean, int, ...)}. */
    public static PackedA pack(boolean transA, int m, int k, float[] a, int aOff, int lda) {
        if (m <= 0 || k <= 0) {
            throw new IllegalArgumentException("sgemm pack: sizes must be positive, got m=" + m + " k=" + k);
        }
        requireMatrix("sgemm pack", "A", transA ? k : m, transA ? m : k, a.length, aOff, lda);
        int mPadded = roundUp(m, MR);
        float[] data = StepMemory.floats(Math.multiplyExact(mPadded, k));
        int panels = mPadded / MR;
        for (int p = 0; p < k; p += KC) {
            int pc = p;
            int kc = Math.min(KC, k - pc);
            // Packing a layer's weights is a copy as large as the weights: split it by row panels over the threads.
            Parallel.forRange(panels, Math.max(1, PACK_GRAIN / (MR * kc)), (p0, p1) -> {
                int ic = p0 * MR;
                packA(transA, a, aOff, lda, ic, Math.min(m, p1 * MR) - ic, pc, kc, data, pc * mPadded + ic * kc);
            });
        }
        return new PackedA(data, m, k, mPadded);
    }

    /**
     * {@code C[m x n] (+)= A·op(B)} with A packed by {@link #pack}; B and C as in {@link #sgemm}, split over at most
     * {@code threads} slices of rows or columns.
     */
    public static void sgemm(PackedA a, boolean transB, int n, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate, int threads) {
        requireMatrix("sgemm", "B", transB ? n : a.k, transB ? a.k : n, b.length, bOff, ldb);
        sgemm(a, bPanels(transB, b, bOff, ldb), n, c, cOff, ldc, accumulate, threads);
    }

    /** {@code C[m x n] (+)= A·B} with A packed by {@link #pack} and B packing itself (k x n, k = A's depth). */
    public static void sgemm(PackedA a, BPanels b, int n, float[] c, int cOff, int ldc, boolean accumulate,
                             int threads) {
        requireMatrix("sgemm", "C", a.m, n, c.length, cOff, ldc);
        run(new Prepacked(a), a.m, a.k, b, n, c, cOff, ldc, accumulate, threads);
    }

    /** {@code C[m x n] (+)= op(A)·B} with op(A) as in {@link #sgemm} ({@code m x k}, k >= 1) and B packing itself. */
    public static void sgemm(boolean transA, int m, int k, float[] a, int aOff, int lda, BPanels b, int n,
                             float[] c, int cOff, int ldc, boolean accumulate, int threads) {
        if (m < 0 || n < 0 || k < 1) {
            throw new IllegalArgumentException("sgemm: need m, n >= 0 and k >= 1, got m=" + m + " n=" + n + " k=" + k);
        }
        requireMatrix("sgemm", "A", transA ? k : m, transA ? m : k, a.length, aOff, lda);
        requireMatrix("sgemm", "C", m, n, c.length, cOff, ldc);
        run(new RawA(transA, a, aOff, lda), m, k, b, n, c, cOff, ldc, accumulate, threads);
    }

    /**
     * {@code C[m x n] = A·B} with A packed by {@link #pack} and B read where it lies, never packed: row p of B is the
     * n floats from {@code b[rowStart[rBase + p]]}. A convolution whose column matrix is a set of shifted windows
     * over one padded image passes those windows' starts. The last, partial NR columns are copied into a padded
     * panel, so no row is read past its n columns.
     */
    public static void sgemmDirect(PackedA a, float[] b, int[] rowStart, int rBase, int n, float[] c, int cOff,
                                   int ldc, int threads) {
        if (n < 0 || rBase < 0 || rBase + a.k > rowStart.length) {
            throw new IllegalArgumentException("sgemm direct: " + a.k + " row starts from " + rBase + " of "
                    + rowStart.length + ", n=" + n);
        }
        for (int p = 0; p < a.k; p++) {
            int start = rowStart[rBase + p];
            if (start < 0 || (long) start + n > b.length) {
                throw new IllegalArgumentException("sgemm direct: row " + p + " of B (" + n + " floats from "
                        + start + ") does not fit in an array of length " + b.length);
            }
        }
        requireMatrix("sgemm direct", "C", a.m, n, c.length, cOff, ldc);
        int m = a.m;
        if (m == 0 || n == 0) {
            return;
        }
        if (threads <= 1 || (long) m * n * a.k < PARALLEL_MIN_WORK) {
            directSerial(a, b, rowStart, rBase, 0, m, 0, n, c, cOff, ldc);
            return;
        }
        // B is shared in place, so slicing columns duplicates nothing and keeps each thread's A reads the same.
        int panels = (n + NR - 1) / NR;
        int slices = Math.min(threads, panels);
        int perSlice = (panels + slices - 1) / slices;
        Parallel.forEach(slices, 1, sl -> {
            int j0 = Math.min(n, sl * perSlice * NR);
            int j1 = Math.min(n, (sl + 1) * perSlice * NR);
            if (j0 < j1) {
                directSerial(a, b, rowStart, rBase, 0, m, j0, j1, c, cOff, ldc);
            }
        });
    }

    /**
     * Rows [i0, i1) x columns [j0, j1) of a direct product on the calling thread. Per depth block and MC block of A
     * rows (L2-resident), each NR-column window of B stays in L1 while the block's row panels stream past it.
     */
    private static void directSerial(PackedA a, float[] b, int[] rowStart, int rBase, int i0, int i1, int j0, int j1,
                                     float[] c, int cOff, int ldc) {
        float[] tile = new float[MR * NR];
        float[] edge = null;
        for (int pc = 0; pc < a.k; pc += KC) {
            int kc = Math.min(KC, a.k - pc);
            boolean add = pc > 0;
            for (int ic = i0; ic < i1; ic += MC) {
                int iEnd = Math.min(i1, ic + MC);
                for (int jt = j0; jt < j1; jt += NR) {
                    int cols = Math.min(NR, j1 - jt);
                    boolean partial = cols < NR;
                    if (partial) {
                        edge = edge != null ? edge : new float[KC * NR];
                        for (int p = 0; p < kc; p++) {
                            System.arraycopy(b, rowStart[rBase + pc + p] + jt, edge, p * NR, cols);
                            Arrays.fill(edge, p * NR + cols, (p + 1) * NR, 0f);
                        }
                    }
                    for (int i = ic; i < iEnd; i += MR) {
                        int rows = Math.min(MR, iEnd - i);
                        int aIdx = pc * a.mPadded + i * kc;
                        int cIdx = cOff + i * ldc + jt;
                        if (partial) {
                            microKernel(kc, a.data, aIdx, edge, 0, tile, 0, NR, false);
                            storeTile(tile, rows, cols, c, cIdx, ldc, add);
                        } else if (rows == MR) {
                            microKernelDirect(kc, a.data, aIdx, b, rowStart, rBase + pc, jt, c, cIdx, ldc, add);
                        } else {
                            microKernelDirect(kc, a.data, aIdx, b, rowStart, rBase + pc, jt, tile, 0, NR, false);
                            storeTile(tile, rows, cols, c, cIdx, ldc, add);
                        }
                    }
                }
            }
        }
    }

    /**
     * A B operand that writes its own packed blocks: rows [pc, pc+kc) x columns [jc, jc+nc) of op(B) as NR-column
     * micro-panels, panel q at {@code dst[q*NR*kc]} holding for each p the NR values op(B)[pc+p][jc+q*NR+j]
     * contiguously, zero past column n. A convolution implements it to pack straight from the image, without first
     * writing the column matrix.
     */
    @FunctionalInterface
    public interface BPanels {
        void pack(int pc, int kc, int jc, int nc, float[] dst);
    }

    /**
     * op(B) = Bᵀ where row j of the stored B is the floats from {@code b[rowStart[rBase + j]]}: each row read
     * contiguously and spread over the panels' column j. The windows of {@link #sgemmDirect}, as depth.
     */
    public static BPanels transposedRows(float[] b, int[] rowStart, int rBase) {
        return (pc, kc, jc, nc, dst) -> {
            for (int j0 = 0; j0 < nc; j0 += NR) {
                int cols = Math.min(NR, nc - j0);
                int d = j0 * kc;
                for (int j = 0; j < cols; j++) {
                    int s = rowStart[rBase + jc + j0 + j] + pc;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * NR + j] = b[s + p];
                    }
                }
                if (cols < NR) {
                    for (int p = 0; p < kc; p++) {
                        Arrays.fill(dst, d + p * NR + cols, d + (p + 1) * NR, 0f);
                    }
                }
            }
        };
    }

    /** The packed-block form of a stored B, op(B) = B or its transpose. */
    private static BPanels bPanels(boolean transB, float[] b, int bOff, int ldb) {
        return (pc, kc, jc, nc, dst) -> packB(transB, b, bOff, ldb, pc, kc, jc, nc, dst);
    }

    /** Where the micro-kernel finds the packed block of op(A) rows [ic, ic+mc) at depth [pc, pc+kc). */
    private interface ASource {
        /** Makes the block available and returns its offset in {@link #array()}. */
        int block(int ic, int mc, int pc, int kc);

        float[] array();

        /** Per-slice state: the source a single thread uses. */
        ASource forSlice();

        void release();
    }

    /** An op(A) stored as a matrix, packed block by block into a borrowed buffer just before use. */
    private static final class RawA implements ASource {
        private final boolean trans;
        private final float[] a;
        private final int aOff;
        private final int lda;
        private float[] buffer;

        RawA(boolean trans, float[] a, int aOff, int lda) {
            this.trans = trans;
            this.a = a;
            this.aOff = aOff;
            this.lda = lda;
        }

        @Override
        public int block(int ic, int mc, int pc, int kc) {
            if (buffer == null) {
                buffer = borrow(PACK_A, MC * KC);
            }
            packA(trans, a, aOff, lda, ic, mc, pc, kc, buffer, 0);
            return 0;
        }

        @Override
        public float[] array() {
            return buffer;
        }

        @Override
        public ASource forSlice() {
            return new RawA(trans, a, aOff, lda);
        }

        @Override
        public void release() {
            if (buffer != null) {
                PACK_A.set(buffer);
                buffer = null;
            }
        }
    }

    /**
     * Splits {@code C = A·B} over threads and runs the blocked loops. Each thread multiplies a slab of C on its own
     * and packs its share of the operands; slicing the larger dimension keeps what every thread must pack in full (B
     * for row slabs, an unpacked A for column slabs) small relative to the arithmetic.
     */
    private static void run(ASource a, int m, int k, BPanels b, int n, float[] c, int cOff, int ldc,
                            boolean accumulate, int threads) {
        if (m == 0 || n == 0) {
            return;
        }
        if (threads <= 1 || (long) m * n * k < PARALLEL_MIN_WORK) {
            serial(a.forSlice(), 0, m, k, b, 0, n, c, cOff, ldc, accumulate);
        } else if (m >= n) {
            int panels = (m + MR - 1) / MR;
            int slices = Math.min(threads, panels);
            int perSlice = (panels + slices - 1) / slices;
            Parallel.forEach(slices, 1, s -> {
                int i0 = Math.min(m, s * perSlice * MR);
                int i1 = Math.min(m, (s + 1) * perSlice * MR);
                if (i0 < i1) {
                    serial(a.forSlice(), i0, i1, k, b, 0, n, c, cOff, ldc, accumulate);
                }
            });
        } else {
            int panels = (n + NR - 1) / NR;
            int slices = Math.min(threads, panels);
            int perSlice = (panels + slices - 1) / slices;
            Parallel.forEach(slices, 1, s -> {
                int j0 = Math.min(n, s * perSlice * NR);
                int j1 = Math.min(n, (s + 1) * perSlice * NR);
                if (j0 < j1) {
                    serial(a.forSlice(), 0, m, k, b, j0, j1, c, cOff, ldc, accumulate);
                }
            });
        }
    }

    /** Rows [i0, i1) x columns [j0, j1) of C on the calling thread; i0 is a multiple of MR, j0 of NR. */
    private static void serial(ASource a, int i0, int i1, int k, BPanels b, int j0, int j1,
                               float[] c, int cOff, int ldc, boolean accumulate) {
        int kcMax = Math.min(KC, k);
        int ncMax = Math.min(NC, roundUp(j1 - j0, NR));
        float[] packB = borrow(PACK_B, kcMax * ncMax);
        float[] tile = new float[MR * NR];
        try {
            for (int jc = j0; jc < j1; jc += NC) {
                int nc = Math.min(NC, j1 - jc);
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    boolean add = accumulate || pc > 0;
                    b.pack(pc, kc, jc, nc, packB);
                    for (int ic = i0; ic < i1; ic += MC) {
                        int mc = Math.min(MC, i1 - ic);
                        int aOff = a.block(ic, mc, pc, kc);
                        macroKernel(mc, nc, kc, a.array(), aOff, packB, c, cOff + ic * ldc + jc, ldc, add, tile);
                    }
                }
            }
        } finally {
            PACK_B.set(packB);
            a.release();
        }
    }

    /**
     * Double-precision {@code C = op(A)·op(B)} (or {@code +=}); same layout contract as {@link #sgemm}. Loops are
     * ordered so the innermost one walks contiguous memory: i-k-j when op(B) rows are contiguous, a dot product
     * over k when B is transposed.
     */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k,
                             double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                             double[] c, int cOff, int ldc, boolean accumulate) {
        check("dgemm", transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            if (!accumulate) {
                Arrays.fill(c, ci, ci + n, 0.0);
            }
            if (transB) {
                for (int j = 0; j < n; j++) {
                    int bj = bOff + j * ldb;
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += (transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p]) * b[bj + p];
                    }
                    c[ci + j] += s;
                }
            } else {
                for (int p = 0; p < k; p++) {
                    double aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    int bp = bOff + p * ldb;
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += aip * b[bp + j];
                    }
                }
            }
        }
    }

    /** Validates sizes, leading dimensions and that every addressed element lies inside its array. */
    private static void check(String op, boolean transA, boolean transB, int m, int n, int k,
                              int aLen, int aOff, int lda, int bLen, int bOff, int ldb, int cLen, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException(op + ": negative size m=" + m + " n=" + n + " k=" + k);
        }
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        requireMatrix(op, "A", aRows, aCols, aLen, aOff, lda);
        requireMatrix(op, "B", bRows, bCols, bLen, bOff, ldb);
        requireMatrix(op, "C", m, n, cLen, cOff, ldc);
    }

    private static void requireMatrix(String op, String name, int rows, int cols, int len, int off, int ld) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(op + ": leading dimension of " + name + " is " + ld + " but "
                    + name + " is stored " + rows + " x " + cols);
        }
        if (off < 0 || (rows > 0 && cols > 0 && (long) off + (long) (rows - 1) * ld + cols > len)) {
            throw new IllegalArgumentException(op + ": " + name + " (" + rows + " x " + cols + ", offset " + off
                    + ", leading dimension " + ld + ") does not fit in an array of length " + len);
        }
    }

    private static float[] borrow(ThreadLocal<float[]> slot, int size) {
        float[] buf = slot.get();
        slot.remove();
        return buf != null && buf.length >= size ? buf : new float[size];
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    /**
     * Packs rows [ic, ic+mc) x depth [pc, pc+kc) of op(A) as MR-row micro-panels from {@code dst[dstOff]} on: panel
     * q holds, for each p, the MR values op(A)[ic+q*MR+r][pc+p] contiguously; rows past mc are zero.
     */
    private static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int mc, int pc, int kc,
                              float[] dst, int dstOff) {
        for (int i0 = 0; i0 < mc; i0 += MR) {
            int rows = Math.min(MR, mc - i0);
            int d = dstOff + i0 * kc;
            if (transA) {
                // op(A)[i][p] = A[p][i]: each p contributes MR consecutive stored elements.
                for (int p = 0; p < kc; p++) {
                    int s = aOff + (pc + p) * lda + ic + i0;
                    for (int r = 0; r < rows; r++) {
                        dst[d + r] = a[s + r];
                    }
                    for (int r = rows; r < MR; r++) {
                        dst[d + r] = 0f;
                    }
                    d += MR;
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    int s = aOff + (ic + i0 + r) * lda + pc;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * MR + r] = a[s + p];
                    }
                }
                for (int r = rows; r < MR; r++) {
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * MR + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs depth [pc, pc+kc) x columns [jc, jc+nc) of op(B) as NR-column micro-panels: panel q holds, for each p,
     * the NR values op(B)[pc+p][jc+q*NR+j] contiguously; columns past nc are zero.
     */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc,
                              float[] dst) {
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int cols = Math.min(NR, nc - j0);
            int d = j0 * kc;
            if (transB) {
                // op(B)[p][j] = B[j][p]: walk each stored row contiguously, scattering with stride NR.
                for (int j = 0; j < cols; j++) {
                    int s = bOff + (jc + j0 + j) * ldb + pc;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * NR + j] = b[s + p];
                    }
                }
                if (cols < NR) {
                    for (int p = 0; p < kc; p++) {
                        Arrays.fill(dst, d + p * NR + cols, d + (p + 1) * NR, 0f);
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int s = bOff + (pc + p) * ldb + jc + j0;
                    System.arraycopy(b, s, dst, d, cols);
                    if (cols < NR) {
                        Arrays.fill(dst, d + cols, d + NR, 0f);
                    }
                    d += NR;
                }
            }
        }
    }

    /** Runs the micro-kernel over every MR x NR tile of an mc x nc block of C; edge tiles go through {@code tile}. */
    private static void macroKernel(int mc, int nc, int kc, float[] packA, int aOff, float[] packB,
                                    float[] c, int cOff, int ldc, boolean add, float[] tile) {
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int cols = Math.min(NR, nc - j0);
            int bIdx = j0 * kc;
            for (int i0 = 0; i0 < mc; i0 += MR) {
                int rows = Math.min(MR, mc - i0);
                int aIdx = aOff + i0 * kc;
                int cIdx = cOff + i0 * ldc + j0;
                if (rows == MR && cols == NR) {
                    microKernel(kc, packA, aIdx, packB, bIdx, c, cIdx, ldc, add);
                } else {
                    microKernel(kc, packA, aIdx, packB, bIdx, tile, 0, NR, false);
                    storeTile(tile, rows, cols, c, cIdx, ldc, add);
                }
            }
        }
    }

    /** Writes (or adds) the rows x cols corner of a tile computed into {@code tile} to C. */
    private static void storeTile(float[] tile, int rows, int cols, float[] c, int cIdx, int ldc, boolean add) {
        for (int r = 0; r < rows; r++) {
            int dst = cIdx + r * ldc;
            int src = r * NR;
            if (add) {
                for (int j = 0; j < cols; j++) {
                    c[dst + j] += tile[src + j];
                }
            } else {
                System.arraycopy(tile, src, c, dst, cols);
            }
        }
    }

    /**
     * One MR x NR tile: {@code C[tile] (+)= Apanel · Bpanel} over depth kc with a packed B panel. The 16 accumulators
     * are locals so the JIT keeps them in vector registers for the whole k loop.
     */
    private static void microKernel(int kc, float[] pa, int aIdx, float[] pb, int bIdx,
                                    float[] c, int cIdx, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES), c11 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES), c21 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES), c31 = FloatVector.zero(SPECIES);
        FloatVector c40 = FloatVector.zero(SPECIES), c41 = FloatVector.zero(SPECIES);
        FloatVector c50 = FloatVector.zero(SPECIES), c51 = FloatVector.zero(SPECIES);
        FloatVector c60 = FloatVector.zero(SPECIES), c61 = FloatVector.zero(SPECIES);
        FloatVector c70 = FloatVector.zero(SPECIES), c71 = FloatVector.zero(SPECIES);
        for (int p = 0; p < kc; p++) {
            int bi = bIdx + p * NR;
            int ai = aIdx + p * MR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, pb, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, pb, bi + V);
            FloatVector av = FloatVector.broadcast(SPECIES, pa[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(SPECIES, pa[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(SPECIES, pa[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(SPECIES, pa[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(SPECIES, pa[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(SPECIES, pa[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(SPECIES, pa[ai + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(SPECIES, pa[ai + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
        }
        // Written out rather than in a helper: a call the JIT declines to inline would box all 16 vectors.
        if (add) {
            c00 = c00.add(FloatVector.fromArray(SPECIES, c, cIdx));
            c01 = c01.add(FloatVector.fromArray(SPECIES, c, cIdx + V));
            c10 = c10.add(FloatVector.fromArray(SPECIES, c, cIdx + ldc));
            c11 = c11.add(FloatVector.fromArray(SPECIES, c, cIdx + ldc + V));
            c20 = c20.add(FloatVector.fromArray(SPECIES, c, cIdx + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(SPECIES, c, cIdx + 2 * ldc + V));
            c30 = c30.add(FloatVector.fromArray(SPECIES, c, cIdx + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(SPECIES, c, cIdx + 3 * ldc + V));
            c40 = c40.add(FloatVector.fromArray(SPECIES, c, cIdx + 4 * ldc));
            c41 = c41.add(FloatVector.fromArray(SPECIES, c, cIdx + 4 * ldc + V));
            c50 = c50.add(FloatVector.fromArray(SPECIES, c, cIdx + 5 * ldc));
            c51 = c51.add(FloatVector.fromArray(SPECIES, c, cIdx + 5 * ldc + V));
            c60 = c60.add(FloatVector.fromArray(SPECIES, c, cIdx + 6 * ldc));
            c61 = c61.add(FloatVector.fromArray(SPECIES, c, cIdx + 6 * ldc + V));
            c70 = c70.add(FloatVector.fromArray(SPECIES, c, cIdx + 7 * ldc));
            c71 = c71.add(FloatVector.fromArray(SPECIES, c, cIdx + 7 * ldc + V));
        }
        c00.intoArray(c, cIdx);
        c01.intoArray(c, cIdx + V);
        c10.intoArray(c, cIdx + ldc);
        c11.intoArray(c, cIdx + ldc + V);
        c20.intoArray(c, cIdx + 2 * ldc);
        c21.intoArray(c, cIdx + 2 * ldc + V);
        c30.intoArray(c, cIdx + 3 * ldc);
        c31.intoArray(c, cIdx + 3 * ldc + V);
        c40.intoArray(c, cIdx + 4 * ldc);
        c41.intoArray(c, cIdx + 4 * ldc + V);
        c50.intoArray(c, cIdx + 5 * ldc);
        c51.intoArray(c, cIdx + 5 * ldc + V);
        c60.intoArray(c, cIdx + 6 * ldc);
        c61.intoArray(c, cIdx + 6 * ldc + V);
        c70.intoArray(c, cIdx + 7 * ldc);
        c71.intoArray(c, cIdx + 7 * ldc + V);
    }

    /**
     * {@link #microKernel} with B's row p read where it lies, from {@code pb[rowStart[rBase + p] + col]}
     * ({@link #sgemmDirect}). A separate copy because the packed kernel must not pay this row-start load.
     */
    private static void microKernelDirect(int kc, float[] pa, int aIdx, float[] pb, int[] rowStart, int rBase, int col,
                                    float[] c, int cIdx, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES), c11 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES), c21 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES), c31 = FloatVector.zero(SPECIES);
        FloatVector c40 = FloatVector.zero(SPECIES), c41 = FloatVector.zero(SPECIES);
        FloatVector c50 = FloatVector.zero(SPECIES), c51 = FloatVector.zero(SPECIES);
        FloatVector c60 = FloatVector.zero(SPECIES), c61 = FloatVector.zero(SPECIES);
        FloatVector c70 = FloatVector.zero(SPECIES), c71 = FloatVector.zero(SPECIES);
        for (int p = 0; p < kc; p++) {
            int bi = rowStart[rBase + p] + col;
            int ai = aIdx + p * MR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, pb, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, pb, bi + V);
            FloatVector av = FloatVector.broadcast(SPECIES, pa[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(SPECIES, pa[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(SPECIES, pa[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(SPECIES, pa[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(SPECIES, pa[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(SPECIES, pa[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(SPECIES, pa[ai + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(SPECIES, pa[ai + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
        }
        // Written out rather than in a helper: a call the JIT declines to inline would box all 16 vectors.
        if (add) {
            c00 = c00.add(FloatVector.fromArray(SPECIES, c, cIdx));
            c01 = c01.add(FloatVector.fromArray(SPECIES, c, cIdx + V));
            c10 = c10.add(FloatVector.fromArray(SPECIES, c, cIdx + ldc));
            c11 = c11.add(FloatVector.fromArray(SPECIES, c, cIdx + ldc + V));
            c20 = c20.add(FloatVector.fromArray(SPECIES, c, cIdx + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(SPECIES, c, cIdx + 2 * ldc + V));
            c30 = c30.add(FloatVector.fromArray(SPECIES, c, cIdx + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(SPECIES, c, cIdx + 3 * ldc + V));
            c40 = c40.add(FloatVector.fromArray(SPECIES, c, cIdx + 4 * ldc));
            c41 = c41.add(FloatVector.fromArray(SPECIES, c, cIdx + 4 * ldc + V));
            c50 = c50.add(FloatVector.fromArray(SPECIES, c, cIdx + 5 * ldc));
            c51 = c51.add(FloatVector.fromArray(SPECIES, c, cIdx + 5 * ldc + V));
            c60 = c60.add(FloatVector.fromArray(SPECIES, c, cIdx + 6 * ldc));
            c61 = c61.add(FloatVector.fromArray(SPECIES, c, cIdx + 6 * ldc + V));
            c70 = c70.add(FloatVector.fromArray(SPECIES, c, cIdx + 7 * ldc));
            c71 = c71.add(FloatVector.fromArray(SPECIES, c, cIdx + 7 * ldc + V));
        }
        c00.intoArray(c, cIdx);
        c01.intoArray(c, cIdx + V);
        c10.intoArray(c, cIdx + ldc);
        c11.intoArray(c, cIdx + ldc + V);
        c20.intoArray(c, cIdx + 2 * ldc);
        c21.intoArray(c, cIdx + 2 * ldc + V);
        c30.intoArray(c, cIdx + 3 * ldc);
        c31.intoArray(c, cIdx + 3 * ldc + V);
        c40.intoArray(c, cIdx + 4 * ldc);
        c41.intoArray(c, cIdx + 4 * ldc + V);
        c50.intoArray(c, cIdx + 5 * ldc);
        c51.intoArray(c, cIdx + 5 * ldc + V);
        c60.intoArray(c, cIdx + 6 * ldc);
        c61.intoArray(c, cIdx + 6 * ldc + V);
        c70.intoArray(c, cIdx + 7 * ldc);
        c71.intoArray(c, cIdx + 7 * ldc + V);
    }
}
