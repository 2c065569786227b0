package dev.graft.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * torch.save's zip format (PyTorch ≥ 1.6): {@code <prefix>/data.pkl} holds the pickled object, whose persistent
 * ids {@code ('storage', storage_type, key, location, numel)} name raw storage records
 * {@code <prefix>/data/<key>}. The prefix is the archive's single top directory, named after the file that was
 * first saved. An optional {@code <prefix>/byteorder} record ("little" or "big", PyTorch ≥ 2.1) gives the
 * byte order of the storages; older archives are little-endian.
 */
final class ZipFormat {
    private ZipFormat() {
    }

    static PickledCheckpoint read(String source, byte[] data) throws CheckpointFormatException {
        ZipArchive zip = ZipArchive.read(source, data);
        String prefix = prefix(source, zip);
        ByteOrder order = byteOrder(source, zip, prefix);
        ZipArchive.Entry pickle = zip.get(prefix + "data.pkl");
        ByteCursor in = zip.cursor(pickle);
        Map<String, ByteBuffer> storages = new HashMap<>();
        Map<String, StorageRef> declared = new HashMap<>();
        Unpickler.PersistentLoader loader = pid -> {
            StorageRef ref = storageRef(in, pid, data.length);
            StorageRef earlier = declared.putIfAbsent(ref.key(), ref);
            if (earlier != null) {
                if (!earlier.equals(ref)) {
                    throw in.error("storage '" + ref.key() + "' is declared as " + earlier.type() + " of "
                            + earlier.numel() + " elements and as " + ref.type() + " of " + ref.numel());
                }
                return earlier;
            }
            String record = prefix + "data/" + ref.key();
            ZipArchive.Entry entry = zip.get(record);
            if (entry == null) {
                throw in.error("storage key '" + ref.key() + "' is missing: no record " + record);
            }
            long expected = ref.numel() * ref.type().elementSize();
            if (entry.length() != expected) {
                throw in.error("size mismatch: " + ref + " declares " + ref.numel() + " elements (" + expected
                        + " bytes) but record " + record + " holds " + entry.length() + " bytes");
            }
            storages.put(ref.key(), zip.buffer(entry).order(order));
            return ref;
        };
        Object root = new Unpickler(in, new TorchGlobals(in), loader).load();
        return new PickledCheckpoint(root, storages);
    }

    /** "archive/" for an archive holding archive/data.pkl. */
    private static String prefix(String source, ZipArchive zip) throws CheckpointFormatException {
        List<String> pickles = zip.names().stream()
                .filter(n -> n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length())
                .toList();
        if (pickles.size() == 1) {
            String name = pickles.getFirst();
            return name.substring(0, name.length() - "data.pkl".length());
        }
        boolean torchScript = zip.names().stream().anyMatch(n -> n.endsWith("/constants.pkl"));
        throw new CheckpointFormatException(source + ": " + (torchScript
                ? "a TorchScript archive (torch.jit.save); graft reads torch.save checkpoints"
                : "zip archive with " + pickles.size() + " <dir>/data.pkl records (expected one); not a torch.save"
                        + " checkpoint"));
    }

    private static ByteOrder byteOrder(String source, ZipArchive zip, String prefix) throws CheckpointFormatException {
        ZipArchive.Entry entry = zip.get(prefix + "byteorder");
        if (entry == null) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        ByteBuffer b = zip.buffer(entry);
        String text = StandardCharsets.US_ASCII.decode(b).toString().strip();
        return switch (text) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw new CheckpointFormatException(source + ": record " + entry.name() + " says '"
                    + text.substring(0, Math.min(text.length(), 20)) + "', expected 'little' or 'big'");
        };
    }

    /** Validates {@code ('storage', storage_type, key, location, numel)}. */
    private static StorageRef storageRef(ByteCursor in, Object pid, int fileBytes) throws CheckpointFormatException {
        if (!(pid instanceof PyTuple t) || t.size() != 5 || !"storage".equals(t.get(0))
                || !(t.get(1) instanceof StorageType type) || !(t.get(2) instanceof String key)
                || !(t.get(4) instanceof Long numel)) {
            throw in.error("persistent id is not ('storage', <storage type>, key, location, numel): "
                    + Unpickler.typeNames(pid));
        }
        if (numel < 0 || numel > fileBytes / type.elementSize()) {
            throw in.error(type + " '" + key + "' declares " + numel + " elements, more than the "
                    + fileBytes + "-byte file holds");
        }
        return new StorageRef(key, type, 0, numel);
    }
}
