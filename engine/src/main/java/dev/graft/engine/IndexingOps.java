package dev.graft.engine;

/** Row gathers, as a feature cache serves batches. The default composes a one-hot matrix product. */
public interface IndexingOps extends ElementwiseOps, MatmulOps {
    /**
     * Rows {@code indices} (I64 [B]) of {@code table} ([M, D], contiguous): [B, D]. An index outside [0, M) is an
     * error ({@link IllegalArgumentException}; an asynchronous backend may report it at its next synchronisation).
     * The default multiplies a one-hot [B, M] matrix with the table: exact for finite values, O(B·M·D).
     */
    default Tensor gatherRows(Tensor table, Tensor indices) {
        int b = indices.numel();
        int m = table.size(0);
        int d = table.size(1);
        Tensor pick = oneHot(indices.reshape(b, 1), 1, m, table.dtype());
        return matmul(pick.reshape(1, b, m), table.reshape(1, m, d)).reshape(b, d);
    }
}
