package dev.graft.kernels;

/**
 * Grid and block sizes of the kernels, as kernels/src/main/cuda/README.md prescribes them. Every kernel here strides over its work, so a capped grid stays correct.
 */
final class LaunchSizes {
    /** Largest grid x dimension. */
    static final long MAX_GRID_X = Integer.MAX_VALUE;
    /** Threads per block of the 1-D element loops, sum_last, max_middle and the wide cross-entropy rows. */
    static final int BLOCK = 256;
    /** sum_first's block: 32 columns by 8 row lanes. */
    static final int SUM_FIRST_BLOCK_X = 32;
    static final int SUM_FIRST_BLOCK_Y = 8;
    /** Rows of one cross-entropy launch's grid (it strides over the rest). */
    static final int MAX_CROSS_ENTROPY_BLOCKS = 65535;
    /** Elements of one multi-tensor optimizer chunk: a block's work, 64 per thread. */
    static final long OPTIMIZER_CHUNK = 1 << 14;

    private LaunchSizes() {
    }

    /** Blocks of {@link #BLOCK} threads covering {@code threads} (one per element of a 1-D loop), capped. */
    static int elementBlocks(long threads) {
        return (int) Math.max(1, Math.min(MAX_GRID_X, (threads + BLOCK - 1) / BLOCK));
    }

    /** Grid x of sum_last (a block per row) or sum_first (a block per 32-column tile). */
    static int sumGridX(boolean last, long rows, long cols) {
        long blocks = last ? rows : (cols + SUM_FIRST_BLOCK_X - 1) / SUM_FIRST_BLOCK_X;
        return (int) Math.max(1, Math.min(MAX_GRID_X, blocks));
    }

    /** Blocks of max_middle over [outer, size, inner]: a warp per output when inner is 1, else a thread. */
    static int maxMiddleBlocks(long outer, long inner) {
        return elementBlocks(inner == 1 ? outer * 32 : outer * inner);
    }

    /** Blocks of the cross-entropy kernels: one per row, up to a cap. */
    static int crossEntropyBlocks(long rows) {
        return (int) Math.max(1, Math.min(MAX_CROSS_ENTROPY_BLOCKS, rows));
    }

    /** Threads per cross-entropy row: a warp for up to 64 classes, else 256. */
    static int crossEntropyThreads(long classes) {
        return classes <= 64 ? 32 : BLOCK;
    }

    /** Blocks of a multi-tensor optimizer launch: one per chunk. */
    static int optimizerBlocks(long chunks) {
        return (int) Math.max(1, Math.min(MAX_GRID_X, chunks));
    }
}
