package dev.graft.kernels;

import static dev.graft.kernels.TensorLaunch.floating;
import static dev.graft.kernels.TensorLaunch.result;

import dev.graft.engine.DType;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

/**
 * Fused softmax cross-entropy on the GPU (cross_entropy.cu), with LossOps' semantics. A target outside
 * [0, C) sets the device's error flag (reported as an {@link IllegalArgumentException} at the next
 * synchronisation) and makes that row NaN.
 */
final class CudaLosses {
    private final OpDevice device;

    CudaLosses(CudaDevice device) {
        this(OpDevice.of(device));
    }

    CudaLosses(OpDevice device) {
        this.device = device;
    }

    /** {loss [N], probabilities [N, C], w[target] [N]} of dense logits [N, C], I64 target [N], weight [C] or null. */
    Tensor[] forward(Tensor logits, Tensor target, Tensor weight, double smoothing) {
        String entry = floating("cross_entropy", logits, KernelImage.CROSS_ENTROPY_FORWARD_F32,
                KernelImage.CROSS_ENTROPY_FORWARD_F64);
        check("cross_entropy", logits, target, weight);
        int n = logits.size(0);
        int c = logits.size(1);
        Tensor loss = result(device, logits.dtype(), n);
        Tensor probs = result(device, logits.dtype(), n, c);
        Tensor targetWeight = result(device, logits.dtype(), n);
        if (n == 0) {
            return new Tensor[] {loss, probs, targetWeight};
        }
        device.launch(entry, LaunchSizes.crossEntropyBlocks(n), 1, LaunchSizes.crossEntropyThreads(c), 1,
                logits, target, weight, loss, probs, (long) n, (long) c, smoothing, device.errorFlag());
        if (weight == null) {
            byte[] view = TensorLaunch.views(targetWeight.shape(), targetWeight)[0];
            TensorLaunch.run(device, KernelImage.fill(logits.dtype()), n, view, TensorLaunch.storage(targetWeight),
                    (long) n, 1.0);
        } else {
            // w[t] as a gather of rows of weight viewed as [C, 1]; an out-of-range t was already flagged above
            // (the first code wins) and gathers 0.
            TensorLaunch.run(device, gather(logits.dtype()), n, weight, target, targetWeight, (long) n, (long) c, 1L,
                    device.errorFlag());
        }
        return new Tensor[] {loss, probs, targetWeight};
    }

    /**
     * dlogits [N, C] from the per-sample gradient {@code gradLoss [N]}, which may be any 1-D view (a stride-0
     * broadcast of a mean's gradient included), the saved dense probabilities, target and weight.
     */
    Tensor backward(Tensor gradLoss, Tensor probs, Tensor target, Tensor weight, double smoothing) {
        String entry = floating("cross_entropy backward", probs, KernelImage.CROSS_ENTROPY_BACKWARD_F32,
                KernelImage.CROSS_ENTROPY_BACKWARD_F64);
        check("cross_entropy backward", probs, target, weight);
        int n = probs.size(0);
        int c = probs.size(1);
        if (gradLoss.dim() != 1 || gradLoss.size(0) != n || gradLoss.dtype() != probs.dtype()) {
            throw new IllegalArgumentException("cross_entropy backward: incoming gradient must be " + probs.dtype()
                    + " [" + n + "], got " + gradLoss.dtype() + " " + Shape.format(gradLoss.shape()));
        }
        Tensor gradLogits = result(device, probs.dtype(), n, c);
        if (n == 0) {
            return gradLogits;
        }
        device.launch(entry, LaunchSizes.crossEntropyBlocks(n), 1, LaunchSizes.crossEntropyThreads(c), 1,
                probs, target, weight, gradLoss, (long) gradLoss.stride(0), gradLogits, (long) n, (long) c, smoothing,
                device.errorFlag());
        return gradLogits;
    }

    private static String gather(DType dtype) {
        return dtype == DType.F32 ? KernelImage.GATHER_ROWS_F32 : KernelImage.GATHER_ROWS_F64;
    }

    /** The kernels read rows [N, C], target [N] and weight [C] densely. */
    private static void check(String op, Tensor rows, Tensor target, Tensor weight) {
        if (rows.dim() != 2 || !TensorLaunch.dense(rows)) {
            throw new IllegalArgumentException(op + ": expects dense [N, C] rows, got " + Shape.format(rows.shape())
                    + " strides " + Shape.format(rows.strides()) + " offset " + rows.offset());
        }
        int n = rows.size(0);
        int c = rows.size(1);
        if (target.dtype() != DType.I64 || target.numel() != n || !TensorLaunch.dense(target)) {
            throw new IllegalArgumentException(op + ": target must be dense I64 [" + n + "], got " + target.dtype()
                    + " " + Shape.format(target.shape()));
        }
        if (weight != null && (weight.dtype() != rows.dtype() || weight.numel() != c || !TensorLaunch.dense(weight))) {
            throw new IllegalArgumentException(op + ": weight must be dense " + rows.dtype() + " [" + c + "], got "
                    + weight.dtype() + " " + Shape.format(weight.shape()));
        }
    }
}
