package dev.graft.kernels;

import static dev.graft.kernels.TensorLaunch.floating;
import static dev.graft.kernels.TensorLaunch.result;

import dev.graft.engine.Tensor;

/**
 * Gathers on the GPU with graft's own kernels over dense tensors: rows of a feature table (gather_rows.cu; an
 * out-of-range row sets the device error flag), and the CIFAR ResNets' option-A shortcut (shortcut.cu), forward and
 * backward, each one kernel writing every element of its output.
 */
final class CudaIndexing {
    private final OpDevice device;

    CudaIndexing(CudaDevice device) {
        this(OpDevice.of(device));
    }

    CudaIndexing(OpDevice device) {
        this.device = device;
    }

    Tensor gatherRows(Tensor table, Tensor indices) {
        String entry = floating("gather_rows", table, KernelImage.GATHER_ROWS_F32, KernelImage.GATHER_ROWS_F64);
        int rows = indices.numel();
        int dim = table.size(1);
        Tensor out = result(device, table.dtype(), rows, dim);
        if (out.numel() > 0) {
            TensorLaunch.run(device, entry, out.numel(), table, indices, out, (long) rows, (long) table.size(0),
                    (long) dim, device.errorFlag());
        }
        return out;
    }

    Tensor subsamplePadChannels(Tensor x, int pad) {
        String entry = floating("subsample_pad_channels", x, KernelImage.SHORTCUT_A_FORWARD_F32,
                KernelImage.SHORTCUT_A_FORWARD_F64);
        int[] s = x.shape();
        Tensor out = result(device, x.dtype(), s[0], s[1] + 2 * pad, (s[2] + 1) / 2, (s[3] + 1) / 2);
        if (out.numel() > 0) {
            TensorLaunch.run(device, entry, out.numel(), x, out, (long) s[0], (long) s[1], s[2], s[3], pad);
        }
        return out;
    }

    Tensor subsamplePadChannelsBackward(Tensor gradOut, int[] inputShape, int pad) {
        String entry = floating("subsample_pad_channels backward", gradOut, KernelImage.SHORTCUT_A_BACKWARD_F32,
                KernelImage.SHORTCUT_A_BACKWARD_F64);
        Tensor gradIn = result(device, gradOut.dtype(), inputShape);
        if (gradIn.numel() > 0) {
            TensorLaunch.run(device, entry, gradIn.numel(), gradOut, gradIn, (long) inputShape[0],
                    (long) inputShape[1], inputShape[2], inputShape[3], pad);
        }
        return gradIn;
    }
}
