package dev.graft.kernels;

import dev.graft.engine.DType;
import dev.graft.engine.Tensor;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.LongFunction;

/**
 * Multi-tensor SGD and Adam(W) updates on the GPU (optimizers.cu): a whole parameter list in one launch per
 * distinct per-parameter state (SGD: momentum buffer absent, first step, later step; Adam: step count), each
 * element through the same float operations as the CPU's fused kernels, so results match them bitwise. The
 * launch's pointers, sizes and chunk table go up as one I64 storage ({@link MultiTensorBatch}).
 */
final class CudaOptimizers {
    private final OpDevice device;

    CudaOptimizers(CudaDevice device) {
        this(OpDevice.of(device));
    }

    CudaOptimizers(OpDevice device) {
        this.device = device;
    }

    /** True when every non-null tensor of the lists is F32 on a CUDA storage it covers densely from offset 0. */
    @SafeVarargs
    static boolean fusable(List<Tensor>... lists) {
        for (List<Tensor> list : lists) {
            for (Tensor t : list) {
                if (t != null && (t.dtype() != DType.F32 || !(t.storage() instanceof CudaStorage)
                        || !TensorLaunch.dense(t))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** torch.optim.SGD's update (see OptimizerOps.sgdStep); a null buffer means no momentum for that parameter. */
    void sgd(List<Tensor> params, List<Tensor> grads, List<Tensor> buffers, boolean[] firstStep, double lr,
             double weightDecay, double momentum, double dampening, boolean nesterov) {
        OptimizerScalars.Sgd s = OptimizerScalars.Sgd.of(lr, weightDecay, momentum, dampening);
        // 0: no buffer (the first-step flag does not matter), 1: buffer on its first step, 2: later steps.
        Map<Integer, List<Integer>> groups = groups(params.size(),
                i -> buffers.get(i) == null ? 0 : firstStep[i] ? 1 : 2);
        for (Map.Entry<Integer, List<Integer>> group : groups.entrySet()) {
            List<Integer> members = group.getValue();
            boolean buffered = group.getKey() != 0;
            MultiTensorBatch batch = MultiTensorBatch.of("sgd", LaunchSizes.OPTIMIZER_CHUNK, pick(params, members),
                    pick(grads, members), buffered ? pick(buffers, members) : null);
            launch(batch, KernelImage.SGD_F32, base -> new Object[] {
                batch.pointers(base, 0), batch.pointers(base, 1), batch.pointers(base, 2), batch.sizes(base),
                batch.chunkTable(base), batch.chunks(), LaunchSizes.OPTIMIZER_CHUNK, s.lr(), s.weightDecay(),
                s.momentum(), s.keep(), group.getKey() == 1 ? 1 : 0, nesterov ? 1 : 0});
        }
    }

    /** torch.optim.Adam's or AdamW's update (see OptimizerOps.adamStep); {@code steps[i]} includes this step. */
    void adam(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs, long[] steps,
              double lr, double weightDecay, boolean decoupledDecay, double beta1, double beta2, double eps) {
        Map<Long, List<Integer>> groups = groups(params.size(), i -> steps[i]);
        for (Map.Entry<Long, List<Integer>> group : groups.entrySet()) {
            List<Integer> members = group.getValue();
            OptimizerScalars.Adam s = OptimizerScalars.Adam.of(lr, weightDecay, decoupledDecay, beta1, beta2, eps,
                    group.getKey());
            MultiTensorBatch batch = MultiTensorBatch.of("adam", LaunchSizes.OPTIMIZER_CHUNK, pick(params, members),
                    pick(grads, members), pick(expAvgs, members), pick(expAvgSqs, members));
            launch(batch, KernelImage.ADAM_F32, base -> new Object[] {
                batch.pointers(base, 0), batch.pointers(base, 1), batch.pointers(base, 2), batch.pointers(base, 3),
                batch.sizes(base), batch.chunkTable(base), batch.chunks(), LaunchSizes.OPTIMIZER_CHUNK, s.decay(),
                s.decoupled(), s.shrink(), s.weightDecay(), s.b1(), s.b2(), s.c1(), s.c2(), s.invSqrtBc2(), s.eps(),
                s.stepSize()});
        }
    }

    /** Uploads the batch's words and launches one block per chunk with the arguments made from their address. */
    private void launch(MultiTensorBatch batch, String entry, LongFunction<Object[]> args) {
        if (batch.chunks() == 0) {
            return;
        }
        CudaStorage block = device.upload(batch.words());
        device.launch(entry, LaunchSizes.optimizerBlocks(batch.chunks()), 1, LaunchSizes.BLOCK, 1,
                args.apply(block.address()));
        Reference.reachabilityFence(block);
    }

    /** Indices 0..n-1 grouped by {@code key}, groups in order of first appearance. */
    static <K> Map<K, List<Integer>> groups(int n, IntFunction<K> key) {
        Map<K, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            groups.computeIfAbsent(key.apply(i), k -> new ArrayList<>()).add(i);
        }
        return groups;
    }

    private static Tensor[] pick(List<Tensor> list, List<Integer> members) {
        Tensor[] out = new Tensor[members.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(members.get(i));
        }
        return out;
    }
}
