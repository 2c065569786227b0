package dev.graft.kernels;

import static dev.graft.kernels.TensorLaunch.floating;
import static dev.graft.kernels.TensorLaunch.result;

import dev.graft.engine.DType;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

/**
 * The reduction group on the GPU (reduce.cu): sums over any set of dimensions through {@link SumPlan}, and the
 * maximum along one dimension with the index of its first occurrence.
 */
final class CudaReductions {
    private final OpDevice device;
    private final CudaElementwise elementwise;

    CudaReductions(CudaDevice device, CudaElementwise elementwise) {
        this(OpDevice.of(device), elementwise);
    }

    CudaReductions(OpDevice device, CudaElementwise elementwise) {
        this.device = device;
        this.elementwise = elementwise;
    }

    /** The sum over the flagged dimensions, kept with size 1. F32 sums are compensated (Kahan) on the device. */
    Tensor sum(Tensor x, boolean[] reduce) {
        String sumLast = floating("sum", x, KernelImage.SUM_LAST_F32, KernelImage.SUM_LAST_F64);
        String sumFirst = floating("sum", x, KernelImage.SUM_FIRST_F32, KernelImage.SUM_FIRST_F64);
        int[] kept = x.shape();
        if (reduce.length != kept.length) {
            throw new IllegalArgumentException("sum: " + reduce.length + " reduce flags for a tensor of shape "
                    + Shape.format(kept));
        }
        for (int d = 0; d < kept.length; d++) {
            if (reduce[d]) {
                kept[d] = 1;
            }
        }
        if (x.numel() == 0) {
            return Tensor.of(device.zeros(x.dtype(), Shape.numel(kept)), kept);
        }
        Tensor out = result(device, x.dtype(), kept);
        SumPlan plan = SumPlan.of(x.shape(), x.isContiguous(), reduce);
        if (plan.copyOnly()) {
            elementwise.copy(x, out);
            return out;
        }
        Tensor src = x;
        if (plan.permutation() != null) {
            Tensor permuted = permuted(x, plan.permutation());
            src = result(device, x.dtype(), permuted.shape());
            elementwise.copy(permuted, src);
        }
        String entry = plan.last() ? sumLast : sumFirst;
        if (plan.parts() == 1) {
            sum(entry, plan.last(), src, out, plan.rows(), plan.cols(), 1);
        } else {
            // Partial sums [outputs, parts] (sum_last) or [parts, outputs] (sum_first), then one sum per output.
            Tensor partial = result(device, x.dtype(), Math.toIntExact(plan.outputs() * plan.parts()));
            sum(entry, plan.last(), src, partial, plan.rows(), plan.cols(), plan.parts());
            if (plan.last()) {
                sum(entry, true, partial, out, plan.rows(), plan.parts(), 1);
            } else {
                sum(entry, false, partial, out, plan.parts(), plan.cols(), 1);
            }
        }
        return out;
    }

    private void sum(String entry, boolean last, Tensor x, Tensor out, long rows, long cols, int parts) {
        int gridX = LaunchSizes.sumGridX(last, rows, cols);
        if (last) {
            device.launch(entry, gridX, parts, LaunchSizes.BLOCK, 1, x, out, rows, cols, (long) parts);
        } else {
            device.launch(entry, gridX, parts, LaunchSizes.SUM_FIRST_BLOCK_X,
                    LaunchSizes.SUM_FIRST_BLOCK_Y, x, out, rows, cols, (long) parts);
        }
    }

    /** {values, I64 indices} of the maximum along {@code dim}, kept with size 1; a NaN wins, ties go first. */
    Tensor[] max(Tensor x, int dim) {
        String entry = floating("max", x, KernelImage.MAX_MIDDLE_F32, KernelImage.MAX_MIDDLE_F64);
        int[] shape = x.shape();
        if (dim < 0 || dim >= shape.length) {
            throw new IllegalArgumentException("max: dimension " + dim + " out of range for shape "
                    + Shape.format(shape));
        }
        int[] kept = shape.clone();
        kept[dim] = 1;
        Tensor values = result(device, x.dtype(), kept);
        Tensor indices = result(device, DType.I64, kept);
        if (values.numel() == 0) {
            return new Tensor[] {values, indices};
        }
        if (shape[dim] == 0) {
            throw new IllegalArgumentException("max: dimension " + dim + " of shape " + Shape.format(shape)
                    + " is empty, there is no maximum");
        }
        Tensor src = x;
        if (!x.isContiguous()) {
            src = result(device, x.dtype(), shape);
            elementwise.copy(x, src);
        }
        long outer = 1;
        for (int d = 0; d < dim; d++) {
            outer *= shape[d];
        }
        long inner = 1;
        for (int d = dim + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        device.launch(entry, LaunchSizes.maxMiddleBlocks(outer, inner), 1, LaunchSizes.BLOCK, 1,
                src, values, indices, outer, (long) shape[dim], inner);
        return new Tensor[] {values, indices};
    }

    /** A view of {@code x} with its dimensions in {@code order}, recording no autograd history. */
    private static Tensor permuted(Tensor x, int[] order) {
        int[] shape = new int[order.length];
        int[] strides = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            shape[i] = x.size(order[i]);
            strides[i] = x.stride(order[i]);
        }
        return Tensor.ofStrided(x.storage(), shape, strides, x.offset());
    }
}
