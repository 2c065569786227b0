package dev.graft.engine;

/**
 * Gathers and strided re-arrangements: rows of a table, as a feature cache serves batches, and the parameter-free
 * "option A" shortcut of CIFAR ResNets. The defaults compose the memory and matmul groups; backends may run each as
 * one kernel.
 */
public interface IndexingOps extends MemoryOps, ElementwiseOps, MatmulOps {
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

    /**
     * {@code x[:, :, ::2, ::2]} of a contiguous [N, C, H, W] tensor with {@code pad} zero channels added on each side:
     * [N, C + 2·pad, ceil(H/2), ceil(W/2)].
     */
    default Tensor subsamplePadChannels(Tensor x, int pad) {
        int[] s = x.shape();
        Tensor out = Tensor.of(allocate(x.dtype(), s[0] * (s[1] + 2 * pad) * ((s[2] + 1) / 2) * ((s[3] + 1) / 2)),
                s[0], s[1] + 2 * pad, (s[2] + 1) / 2, (s[3] + 1) / 2);
        copy(everyOther(x.detach()), out.narrow(1, pad, s[1]));
        return out;
    }

    /** The gradient of {@link #subsamplePadChannels} for an input of {@code inputShape}: zero at odd rows and columns. */
    default Tensor subsamplePadChannelsBackward(Tensor gradOut, int[] inputShape, int pad) {
        Tensor gradIn = Tensor.of(allocate(gradOut.dtype(), Shape.numel(inputShape)), inputShape);
        copy(gradOut.detach().narrow(1, pad, inputShape[1]), everyOther(gradIn));
        return gradIn;
    }

    /** The view {@code t[:, :, ::2, ::2]}. */
    private static Tensor everyOther(Tensor t) {
        return t.slice(2, 0, t.size(2), 2).slice(3, 0, t.size(3), 2);
    }
}
