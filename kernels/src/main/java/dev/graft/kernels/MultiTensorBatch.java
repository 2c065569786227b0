package dev.graft.kernels;

import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

/**
 * The argument block of one multi-tensor optimizer launch (optimizers.cu), as one I64 array uploaded at once:
 * for each tensor list the device addresses of its tensors, then the tensors' element counts, then the chunk
 * table ({@link TensorChunks}). A list given as null is absent: the kernel gets a null pointer for it.
 */
final class MultiTensorBatch {
    private final long[] words;
    private final int[] pointersAt;
    private final int sizesAt;
    private final int chunksAt;
    private final long chunks;

    private MultiTensorBatch(long[] words, int[] pointersAt, int sizesAt, int chunksAt, long chunks) {
        this.words = words;
        this.pointersAt = pointersAt;
        this.sizesAt = sizesAt;
        this.chunksAt = chunksAt;
        this.chunks = chunks;
    }

    /**
     * The block for {@code lists[k][i]}, tensor i of list k (all on a CUDA storage, each list as long as the
     * first, tensor i of every list as large as the first list's), cut into chunks of {@code chunkSize}.
     */
    static MultiTensorBatch of(String op, long chunkSize, Tensor[]... lists) {
        Tensor[] first = lists[0];
        long[] sizes = new long[first.length];
        for (int i = 0; i < first.length; i++) {
            sizes[i] = first[i].numel();
        }
        long[] table = TensorChunks.table(sizes, chunkSize);
        int present = 0;
        for (Tensor[] list : lists) {
            present += list == null ? 0 : 1;
        }
        long[] words = new long[present * first.length + sizes.length + table.length];
        int[] pointersAt = new int[lists.length];
        int at = 0;
        for (int k = 0; k < lists.length; k++) {
            if (lists[k] == null) {
                pointersAt[k] = -1;
                continue;
            }
            if (lists[k].length != first.length) {
                throw new IllegalArgumentException(op + ": tensor list " + k + " has " + lists[k].length
                        + " tensors, the parameters " + first.length);
            }
            pointersAt[k] = at;
            for (int i = 0; i < first.length; i++) {
                Tensor t = lists[k][i];
                if (t.numel() != sizes[i]) {
                    throw new IllegalArgumentException(op + ": tensor " + i + " of list " + k + " has shape "
                            + Shape.format(t.shape()) + ", the parameter " + Shape.format(first[i].shape()));
                }
                words[at++] = CudaStorage.address(t);
            }
        }
        int sizesAt = at;
        System.arraycopy(sizes, 0, words, at, sizes.length);
        int chunksAt = at + sizes.length;
        System.arraycopy(table, 0, words, chunksAt, table.length);
        return new MultiTensorBatch(words, pointersAt, sizesAt, chunksAt, table.length / 2);
    }

    /** The words to upload. */
    long[] words() {
        return words;
    }

    /** Number of chunks, the launch's grid. */
    long chunks() {
        return chunks;
    }

    /** Device address of list k's pointer array once the words lie at {@code base}; 0 for an absent list. */
    long pointers(long base, int k) {
        return pointersAt[k] < 0 ? 0 : base + (long) Long.BYTES * pointersAt[k];
    }

    long sizes(long base) {
        return base + (long) Long.BYTES * sizesAt;
    }

    long chunkTable(long base) {
        return base + (long) Long.BYTES * chunksAt;
    }
}
