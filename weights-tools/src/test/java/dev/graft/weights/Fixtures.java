package dev.graft.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** The checkpoint fixtures under src/test/resources (see src/test/fixtures/make_checkpoint_fixtures.py) and helpers. */
final class Fixtures {
    private static final String DIR = "/fixtures/checkpoints/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    static byte[] bytes(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + DIR + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path path(String name) {
        try {
            return Path.of(Fixtures.class.getResource(DIR + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String name) {
        try {
            return JSON.readTree(bytes(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The shared assets directory: the {@code graft.assets} property when it names an existing directory,
     * otherwise the first {@code shared/assets} found walking up from the working directory.
     */
    static Optional<Path> assets() {
        String property = System.getProperty("graft.assets");
        if (property != null && Files.isDirectory(Path.of(property))) {
            return Optional.of(Path.of(property));
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("assets");
            if (Files.isDirectory(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The entries of a zip archive (read with graft's own reader; torch's archives defeat ZipInputStream). */
    static Map<String, byte[]> unzip(byte[] zip) throws CheckpointFormatException {
        ZipArchive archive = ZipArchive.read("test", zip);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (String name : archive.names()) {
            ByteBuffer b = archive.buffer(archive.get(name));
            byte[] copy = new byte[b.remaining()];
            b.get(copy);
            entries.put(name, copy);
        }
        return entries;
    }

    /** A zip archive of stored (uncompressed) entries, as torch.save writes them. */
    static byte[] zip(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                out.putNextEntry(entry);
                out.write(e.getValue());
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A torch zip checkpoint "archive/…" holding {@code dataPkl} and {@code storages} under archive/data/. */
    static byte[] torchZip(byte[] dataPkl, Map<String, byte[]> storages) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", dataPkl);
        storages.forEach((key, data) -> entries.put("archive/data/" + key, data));
        entries.put("archive/version", "3\n".getBytes());
        return zip(entries);
    }

    /** The three header pickles of a legacy file, with the given sys info flag and C long size. */
    static byte[] legacyPreamble(boolean littleEndian, long longSize) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PickleWriter.proto2().bigInteger(LegacyFormat.MAGIC_NUMBER).stop().bytes());
        out.writeBytes(PickleWriter.proto2().integer(1001).stop().bytes());
        out.writeBytes(PickleWriter.proto2().emptyDict()
                .str("protocol_version").integer(1001).setItem()
                .str("little_endian").bool(littleEndian).setItem()
                .str("type_sizes").emptyDict()
                .str("short").integer(2).setItem().str("int").integer(4).setItem().str("long").integer(longSize).setItem()
                .setItem().stop().bytes());
        return out.toByteArray();
    }

    /** A legacy file: preamble, {@code mainPickle}, then one storage (key, count, bytes) per entry. */
    static byte[] legacy(byte[] mainPickle, Map<String, byte[]> storages, Map<String, Long> counts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(legacyPreamble(true, 8));
        out.writeBytes(mainPickle);
        PickleWriter keys = PickleWriter.proto2().op(']').mark();
        storages.keySet().forEach(keys::str);
        out.writeBytes(keys.op('e').stop().bytes());
        storages.forEach((key, data) -> {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(counts.get(key)).array());
            out.writeBytes(data);
        });
        return out.toByteArray();
    }

    static byte[] floats(ByteOrder order, float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(order);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** A zip persistent id {@code ('storage', torch.<type>, key, 'cpu', numel)}. */
    static PickleWriter zipStorage(String type, String key, long numel) {
        return new PickleWriter().str("storage").global("torch", type).str(key).str("cpu").integer(numel);
    }

    /** A legacy persistent id; {@code view} is null or {view offset, view numel} under key {@code key + "v"}. */
    static PickleWriter legacyStorage(String type, String key, long numel, long[] view) {
        PickleWriter w = new PickleWriter().str("storage").global("torch", type).str(key).str("cpu").integer(numel);
        return view == null ? w.none() : w.mark().str(key + "v").integer(view[0]).integer(view[1]).tuple();
    }

    /** {@code {name: tensor}} around one rebuild call, as a whole pickle. */
    static byte[] singleTensorDict(String name, PickleWriter persistentId, long offset, long[] size, long[] stride) {
        return PickleWriter.proto2().emptyDict().str(name).tensorV2(persistentId, offset, size, stride).setItem().stop()
                .bytes();
    }
}
