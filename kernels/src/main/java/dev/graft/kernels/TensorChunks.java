package dev.graft.kernels;

import java.util.Arrays;

/**
 * The chunk table of the multi-tensor optimizer kernels (optimizers.cu): every tensor's elements, in list order,
 * cut into chunks of {@code chunkSize}; chunk k is the pair {tensor index, first element} at {@code [2k, 2k+1]},
 * and covers up to {@code chunkSize} elements from there. Empty tensors get no chunk. One block per chunk.
 */
final class TensorChunks {
    private TensorChunks() {
    }

    static long[] table(long[] sizes, long chunkSize) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunk table: chunk size must be positive, got " + chunkSize);
        }
        long chunks = 0;
        for (long size : sizes) {
            if (size < 0) {
                throw new IllegalArgumentException("chunk table: negative tensor size in " + Arrays.toString(sizes));
            }
            chunks += (size + chunkSize - 1) / chunkSize;
        }
        if (2 * chunks > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("chunk table: " + chunks + " chunks of " + chunkSize
                    + " elements are too many; use larger chunks");
        }
        long[] table = new long[(int) (2 * chunks)];
        int at = 0;
        for (int t = 0; t < sizes.length; t++) {
            for (long from = 0; from < sizes[t]; from += chunkSize) {
                table[at++] = t;
                table[at++] = from;
            }
        }
        return table;
    }
}
