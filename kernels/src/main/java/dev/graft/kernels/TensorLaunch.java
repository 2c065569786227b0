package dev.graft.kernels;

import dev.graft.engine.DType;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

/**
 * Launches of graft's kernels whose arguments may be tensors, as the op classes make them. A {@link Tensor}
 * argument passes the device address of its first element (offset included), a {@link CudaStorage} its base
 * address (for strided kernels, whose {@code View} carries the offset), {@code null} a null pointer; anything
 * else goes to {@link Kernels} as it is. {@link OpDevice} keeps every argument reachable until the launch is
 * queued: a storage the collector released earlier could hand its block to an allocation made before the launch
 * that reads it.
 */
final class TensorLaunch {
    private TensorLaunch() {
    }

    /** A 1-D launch over {@code n} elements. */
    static void run(OpDevice device, String entry, long n, Object... args) {
        device.launch(entry, LaunchSizes.elementBlocks(n), 1, LaunchSizes.BLOCK, 1, args);
    }

    /** The arguments as {@link Kernels} takes them: tensors, storages and nulls become device addresses. */
    static Object[] arguments(Object... args) {
        Object[] resolved = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            resolved[i] = switch (args[i]) {
                case null -> 0L;
                case Tensor t -> CudaStorage.address(t);
                case CudaStorage s -> s.address();
                default -> args[i];
            };
        }
        return resolved;
    }

    /** The packed views of {@code operands} over their common {@code shape}, merged jointly. */
    static byte[][] views(int[] shape, Tensor... operands) {
        long[] offsets = new long[operands.length];
        int[][] strides = new int[operands.length][];
        for (int k = 0; k < operands.length; k++) {
            offsets[k] = operands[k].offset();
            strides[k] = operands[k].strides();
        }
        return ViewArgument.of(shape, offsets, strides);
    }

    /** The storage of a tensor, for a strided kernel's data pointer. */
    static CudaStorage storage(Tensor t) {
        return (CudaStorage) t.storage();
    }

    /** {@code f32} or {@code f64} by {@code t}'s dtype; I64 tensors are refused, naming the operation. */
    static String floating(String op, Tensor t, String f32, String f64) {
        return switch (t.dtype()) {
            case F32 -> f32;
            case F64 -> f64;
            case I64 -> throw new IllegalArgumentException(op + ": needs an F32 or F64 tensor, got I64 "
                    + Shape.format(t.shape()));
        };
    }

    /** A new dense tensor of {@code shape} whose every element the next kernel writes. */
    static Tensor result(OpDevice device, DType dtype, int... shape) {
        return Tensor.of(device.allocate(dtype, Shape.numel(shape)), shape);
    }

    /** True when {@code t} covers its storage contiguously from offset 0. */
    static boolean dense(Tensor t) {
        return t.offset() == 0 && t.isContiguous() && t.storage().size() == t.numel();
    }
}
