package dev.graft.weights;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * torch.save's legacy format (PyTorch before 1.6, or {@code _use_new_zipfile_serialization=False}): five pickles
 * back to back (magic number, protocol version 1001, sys info, the object, the list of storage keys) and then,
 * per listed key, an int64 element count and the storage's raw bytes. Persistent ids are
 * {@code ('storage', storage_type, key, location, numel, view_metadata)}, the last being None or
 * {@code (view_key, offset, numel)} for the storage views of old files. Storage data is always little-endian.
 */
final class LegacyFormat {
    static final BigInteger MAGIC_NUMBER = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long PROTOCOL_VERSION = 1001;

    private LegacyFormat() {
    }

    static PickledCheckpoint read(String source, byte[] data) throws CheckpointFormatException {
        ByteCursor in = new ByteCursor(source, data, 0, data.length);
        Object magic = plain(in).load();
        if (!MAGIC_NUMBER.equals(magic)) {
            throw in.error("not a PyTorch checkpoint: the first pickle holds " + Unpickler.typeName(magic)
                    + ", not torch's magic number");
        }
        Object protocol = plain(in).load();
        if (!Long.valueOf(PROTOCOL_VERSION).equals(protocol)) {
            throw in.error("unsupported legacy protocol version " + Unpickler.show(protocol) + " (expected "
                    + PROTOCOL_VERSION + ")");
        }
        checkSysInfo(in, plain(in).load());

        Map<String, StorageRef> declared = new HashMap<>();
        Unpickler.PersistentLoader loader = pid -> root(in, pid, data.length, declared);
        Object root = new Unpickler(in, new TorchGlobals(in), loader).load();

        if (!(plain(in).load() instanceof List<?> keys)) {
            throw in.error("expected the list of storage keys after the pickled object");
        }
        Map<String, ByteBuffer> storages = new HashMap<>();
        for (Object k : keys) {
            StorageRef ref = k instanceof String key ? declared.get(key) : null;
            if (ref == null) {
                throw in.error("storage key " + Unpickler.show(k)
                        + " in the data section is not used by the pickled object");
            }
            long count = in.i64();
            if (count != ref.numel()) {
                throw in.error("size mismatch: " + ref + " has " + count + " elements in its data header but "
                        + ref.numel() + " in the pickle");
            }
            int length = (int) (count * ref.type().elementSize()); // numel was capped by the file size
            ByteBuffer bytes = ByteBuffer.wrap(data, in.skip(length), length).slice();
            if (storages.put(ref.key(), bytes.order(ByteOrder.LITTLE_ENDIAN)) != null) {
                throw in.error("storage key '" + ref.key() + "' is listed twice in the data section");
            }
        }
        Set<String> missing = new HashSet<>(declared.keySet());
        missing.removeAll(storages.keySet());
        if (!missing.isEmpty()) {
            throw in.error("storage key '" + missing.iterator().next() + "' used by a tensor is missing from the"
                    + " data section");
        }
        return new PickledCheckpoint(root, storages);
    }

    /** An unpickler for the header and key-list pickles: plain values, no persistent ids. */
    private static Unpickler plain(ByteCursor in) {
        return new Unpickler(in, new TorchGlobals(in), null);
    }

    /**
     * torch records the writer's byte order and C type sizes. Its storages have fixed widths (LongStorage is
     * int64 even where C long has 4 bytes, as in files written on Windows), so the sizes are only sanity-checked.
     * Storage bytes are refused from big-endian writers, whose byte order differs between PyTorch versions.
     */
    private static void checkSysInfo(ByteCursor in, Object info) throws CheckpointFormatException {
        if (!(info instanceof Map<?, ?> m) || !(m.get("type_sizes") instanceof Map<?, ?> sizes)) {
            throw in.error("the sys info pickle is not a dict with type_sizes");
        }
        if (!(m.get("little_endian") instanceof Boolean littleEndian)) {
            throw in.error("the sys info pickle has no little_endian flag");
        }
        if (!littleEndian) {
            throw in.error("written on a big-endian machine (little_endian=False); graft reads legacy checkpoints"
                    + " from little-endian writers only");
        }
        Object shortSize = sizes.get("short");
        Object intSize = sizes.get("int");
        Object longSize = sizes.get("long");
        if (!Long.valueOf(2).equals(shortSize) || !Long.valueOf(4).equals(intSize)
                || !(Long.valueOf(4).equals(longSize) || Long.valueOf(8).equals(longSize))) {
            throw in.error("unexpected C type sizes short=" + Unpickler.show(shortSize) + " int=" + Unpickler.show(intSize)
                    + " long=" + Unpickler.show(longSize));
        }
    }

    /** Validates a persistent id and records its storage; returns the (possibly view) storage reference. */
    private static StorageRef root(ByteCursor in, Object pid, int fileBytes, Map<String, StorageRef> declared)
            throws CheckpointFormatException {
        if (!(pid instanceof PyTuple t) || t.size() != 6 || !"storage".equals(t.get(0))
                || !(t.get(1) instanceof StorageType type) || !(t.get(2) instanceof String key)
                || !(t.get(4) instanceof Long numel) || !(t.get(5) == null || t.get(5) instanceof PyTuple)) {
            throw in.error("persistent id is not ('storage', <storage type>, key, location, numel, view): "
                    + Unpickler.typeNames(pid));
        }
        if (numel < 0 || numel > fileBytes / type.elementSize()) {
            throw in.error(type + " '" + key + "' declares " + numel + " elements, more than the "
                    + fileBytes + "-byte file holds");
        }
        StorageRef root = new StorageRef(key, type, 0, numel);
        StorageRef earlier = declared.putIfAbsent(key, root);
        if (earlier != null && !earlier.equals(root)) {
            throw in.error("storage '" + key + "' is declared as " + earlier.type() + " of " + earlier.numel()
                    + " elements and as " + type + " of " + numel);
        }
        if (!(t.get(5) instanceof PyTuple view)) {
            return root;
        }
        if (view.size() != 3 || !(view.get(1) instanceof Long offset) || !(view.get(2) instanceof Long size)
                || offset < 0 || size < 0 || offset > numel - size) {
            throw in.error("storage view " + Unpickler.typeNames(view) + " does not fit in " + root + " of "
                    + numel + " elements");
        }
        return new StorageRef(key, type, offset, size);
    }
}
