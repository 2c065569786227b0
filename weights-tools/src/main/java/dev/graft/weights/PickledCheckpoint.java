package dev.graft.weights;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A checkpoint after unpickling: the top-level object, with tensors still as {@link TensorSpec}s, and the raw
 * bytes of every storage they use, by key (each buffer ordered for its file and sized to its storage).
 */
record PickledCheckpoint(Object root, Map<String, ByteBuffer> storages) {
}
