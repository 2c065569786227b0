package dev.graft.weights;

import dev.graft.engine.Tensor;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * Turns {@link TensorSpec}s into contiguous graft tensors by copying the viewed elements out of the raw
 * storages, converting dtypes on the way. Views may share or repeat storage elements (stride 0), so the total
 * number of decoded elements is capped by the file's size: data is never multiplied beyond one element per
 * input byte, whatever the pickle asks for.
 */
final class TensorDecoder {
    private final String source;
    private final Map<String, ByteBuffer> storages;
    private long budget;

    /** {@code storages} holds every key the specs refer to, each buffer ordered and sized to its storage. */
    TensorDecoder(String source, Map<String, ByteBuffer> storages, long fileBytes) {
        this.source = source;
        this.storages = storages;
        this.budget = fileBytes;
    }

    Tensor decode(String name, TensorSpec spec) throws CheckpointFormatException {
        int n = spec.numel();
        if (n > budget) {
            throw new CheckpointFormatException(source + ": tensor '" + name + "' would bring the decoded elements past"
                    + " the file's size; views repeating storage data that often are refused");
        }
        budget -= n;
        StorageRef ref = spec.storage();
        ByteBuffer buf = storages.get(ref.key());
        StorageType type = ref.type();
        int[] shape = spec.shape();
        long first = ref.offset() + spec.offset();
        Elements at = new Elements(first, shape, spec.stride(), type.elementSize());
        return switch (type.target()) {
            case F32 -> {
                float[] out = new float[n];
                if (type == StorageType.FLOAT && isContiguous(shape, spec.stride())) {
                    buf.asFloatBuffer().get((int) first, out);
                } else {
                    for (int i = 0; i < n; i++) {
                        int b = at.next();
                        out[i] = switch (type) {
                            case HALF -> Float.float16ToFloat(buf.getShort(b));
                            case BFLOAT16 -> Float.intBitsToFloat(buf.getShort(b) << 16);
                            default -> buf.getFloat(b);
                        };
                    }
                }
                yield Tensor.of(out, shape);
            }
            case F64 -> {
                double[] out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = buf.getDouble(at.next());
                }
                yield Tensor.of(out, shape);
            }
            case I64 -> {
                long[] out = new long[n];
                for (int i = 0; i < n; i++) {
                    int b = at.next();
                    out[i] = switch (type) {
                        case INT -> buf.getInt(b);
                        case SHORT -> buf.getShort(b);
                        case CHAR -> buf.get(b);
                        case BYTE, BOOL -> buf.get(b) & 0xff;
                        default -> buf.getLong(b);
                    };
                }
                yield Tensor.ofLongs(out, shape);
            }
        };
    }

    private static boolean isContiguous(int[] shape, long[] stride) {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /** Byte offsets of a view's elements in row-major order (an odometer over the shape). */
    private static final class Elements {
        private final int[] shape;
        private final long[] stride;
        private final int[] counter;
        private final int elementSize;
        private long element;

        Elements(long first, int[] shape, long[] stride, int elementSize) {
            this.shape = shape;
            this.stride = stride;
            this.counter = new int[shape.length];
            this.elementSize = elementSize;
            this.element = first;
        }

        /** The current element's byte offset; then advances. TensorSpec guarantees it lies in the storage. */
        int next() {
            int at = (int) (element * elementSize);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++counter[d] < shape[d]) {
                    element += stride[d];
                    break;
                }
                counter[d] = 0;
                element -= stride[d] * (shape[d] - 1L);
            }
            return at;
        }
    }
}
