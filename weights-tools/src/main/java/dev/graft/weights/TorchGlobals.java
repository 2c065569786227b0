package dev.graft.weights;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * graft's allow-list for pickled globals, modelled on PyTorch's {@code weights_only=True}: OrderedDict, the
 * tensor and parameter rebuild functions and the typed storages. Allowed names become stand-ins that build
 * plain Java values ({@link TensorSpec}, LinkedHashMap); every other global is refused by name.
 */
final class TorchGlobals implements Unpickler.Globals {
    /** Tensors of higher rank are refused; PyTorch itself caps most operations well below this. */
    static final int MAX_RANK = 64;

    private enum Kind { ORDERED_DICT, REBUILD_TENSOR, REBUILD_TENSOR_V2, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE }

    private static final Map<String, Kind> CALLABLE = Map.of(
            "collections.OrderedDict", Kind.ORDERED_DICT,
            "torch._utils._rebuild_tensor", Kind.REBUILD_TENSOR,
            "torch._utils._rebuild_tensor_v2", Kind.REBUILD_TENSOR_V2,
            "torch._utils._rebuild_parameter", Kind.REBUILD_PARAMETER,
            "torch._utils._rebuild_parameter_with_state", Kind.REBUILD_PARAMETER_WITH_STATE);

    private final ByteCursor in;

    /** Errors are located at {@code in}'s position, i.e. at the opcode being interpreted. */
    TorchGlobals(ByteCursor in) {
        this.in = in;
    }

    @Override
    public Object resolve(String module, String name) throws CheckpointFormatException {
        String qualified = module + "." + name;
        Kind kind = CALLABLE.get(qualified);
        if (kind != null) {
            return new StandIn(qualified, kind, this);
        }
        if (module.equals("torch") && name.endsWith("Storage")) {
            StorageType type = StorageType.forName(name);
            if (type == null) {
                throw in.error("unsupported dtype: storage " + qualified
                        + " (graft reads float, double, half, bfloat16, integer and bool storages)");
            }
            return type;
        }
        throw in.error("refusing to unpickle global " + qualified + " (not on graft's allow-list)");
    }

    private record StandIn(String name, Kind kind, TorchGlobals owner) implements Unpickler.PyCallable {
        @Override
        public Object call(PyTuple args) throws CheckpointFormatException {
            return owner.call(this, args);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private Object call(StandIn f, PyTuple args) throws CheckpointFormatException {
        return switch (f.kind()) {
            case ORDERED_DICT -> {
                arity(f, args, 0, 0);
                yield new LinkedHashMap<>();
            }
            // (storage, storage_offset, size, stride)
            case REBUILD_TENSOR -> {
                arity(f, args, 4, 4);
                yield tensor(f, args);
            }
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            case REBUILD_TENSOR_V2 -> {
                arity(f, args, 6, 7);
                expect(f, args, 4, Boolean.class, "requires_grad");
                expect(f, args, 5, Map.class, "backward_hooks");
                if (args.size() == 7 && args.get(6) != null) {
                    expect(f, args, 6, Map.class, "metadata");
                }
                yield tensor(f, args);
            }
            // (data, requires_grad, backward_hooks[, state]); graft has no separate parameter type
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                int n = f.kind() == Kind.REBUILD_PARAMETER ? 3 : 4;
                arity(f, args, n, n);
                yield expect(f, args, 0, TensorSpec.class, "data");
            }
        };
    }

    private TensorSpec tensor(StandIn f, PyTuple args) throws CheckpointFormatException {
        StorageRef storage = expect(f, args, 0, StorageRef.class, "storage");
        long offset = nonNegative(f, expect(f, args, 1, Long.class, "storage_offset"), "storage_offset");
        PyTuple size = expect(f, args, 2, PyTuple.class, "size");
        PyTuple stride = expect(f, args, 3, PyTuple.class, "stride");
        int rank = size.size();
        if (rank != stride.size() || rank > MAX_RANK) {
            throw in.error(f + ": size has " + rank + " dimensions and stride " + stride.size()
                    + " (need equal counts, at most " + MAX_RANK + ")");
        }
        int[] shape = new int[rank];
        long[] strides = new long[rank];
        long numel = 1;
        for (int d = 0; d < rank; d++) {
            long extent = nonNegative(f, size.get(d), "size[" + d + "]");
            numel = Math.multiplyHigh(numel, extent) != 0 ? Long.MAX_VALUE : numel * extent;
            if (numel > Integer.MAX_VALUE - 8) {
                throw in.error(f + ": size " + size.items() + " has more than 2^31 elements");
            }
            shape[d] = (int) extent;
            strides[d] = nonNegative(f, stride.get(d), "stride[" + d + "]");
        }
        if (numel > 0) {
            checkInside(f, storage, offset, shape, strides);
        }
        return new TensorSpec(storage, offset, shape, strides, (int) numel);
    }

    /**
     * The last element the view reaches must lie inside the storage. Loaders cap a storage's element count by
     * the file size, and each stride is capped by it before multiplying, so the running sum cannot overflow.
     */
    private void checkInside(StandIn f, StorageRef storage, long offset, int[] shape, long[] strides)
            throws CheckpointFormatException {
        long last = offset;
        for (int d = 0; d < shape.length && last < storage.numel(); d++) {
            if (shape[d] > 1) {
                last = strides[d] >= storage.numel() ? Long.MAX_VALUE : last + (shape[d] - 1L) * strides[d];
            }
        }
        if (last >= storage.numel()) {
            throw in.error(f + ": view at offset " + offset + " with size " + Arrays.toString(shape)
                    + " and stride " + Arrays.toString(strides) + " reaches outside " + storage
                    + " of " + storage.numel() + " elements");
        }
    }

    private void arity(StandIn f, PyTuple args, int min, int max) throws CheckpointFormatException {
        if (args.size() < min || args.size() > max) {
            String expected = min == max ? String.valueOf(min) : min + " or " + max;
            throw in.error(f + " takes " + expected + " arguments, got " + args.size());
        }
    }

    private <T> T expect(StandIn f, PyTuple args, int i, Class<T> type, String what) throws CheckpointFormatException {
        Object v = args.get(i);
        if (!type.isInstance(v)) {
            throw in.error(f + ": argument " + what + " is " + Unpickler.typeName(v));
        }
        return type.cast(v);
    }

    private long nonNegative(StandIn f, Object v, String what) throws CheckpointFormatException {
        if (v instanceof Long l && l >= 0) {
            return l;
        }
        String shown = v instanceof Long || v instanceof BigInteger ? v.toString() : Unpickler.typeName(v);
        throw in.error(f + ": " + what + " must be a non-negative int, got " + shown);
    }
}
