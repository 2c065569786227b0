package dev.graft.weights;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * The entries of an in-memory zip archive, found through its central directory as PyTorch's own reader does
 * (torch writes sizes only there: its local headers announce a trailing data descriptor). torch.save stores
 * every entry uncompressed, so only stored entries are accepted; each one's CRC-32 is verified.
 */
final class ZipArchive {
    private static final int END_SIGNATURE = 0x06054b50;
    private static final int CENTRAL_SIGNATURE = 0x02014b50;
    private static final int LOCAL_SIGNATURE = 0x04034b50;
    private static final int END_RECORD_BYTES = 22;

    /** An entry's bytes: {@code data[start, start + length)}. */
    record Entry(String name, int start, int length) {
    }

    private final String source;
    private final byte[] data;
    private final Map<String, Entry> entries;

    private ZipArchive(String source, byte[] data, Map<String, Entry> entries) {
        this.source = source;
        this.data = data;
        this.entries = entries;
    }

    static ZipArchive read(String source, byte[] data) throws CheckpointFormatException {
        int end = findEndRecord(data);
        if (end < 0) {
            throw new CheckpointFormatException(source + ": zip archive without an end-of-central-directory record"
                    + " (truncated?)");
        }
        ByteCursor eocd = new ByteCursor(source, data, end + 4, data.length);
        int disk = eocd.u16();
        int centralDisk = eocd.u16();
        eocd.u16(); // entries on this disk
        int count = eocd.u16();
        long centralSize = eocd.u32();
        long centralOffset = eocd.u32();
        if (count == 0xffff || centralSize == 0xffffffffL || centralOffset == 0xffffffffL) {
            throw eocd.error("zip64 archive (more than 65535 entries or 4 GiB) is not supported");
        }
        if (disk != 0 || centralDisk != 0) {
            throw eocd.error("multi-volume zip archive is not supported");
        }
        if (centralOffset + centralSize > end) {
            throw eocd.error("central directory [" + centralOffset + ", " + (centralOffset + centralSize)
                    + ") runs past its end record at " + end + " (truncated or corrupt)");
        }
        ByteCursor central = new ByteCursor(source, data, (int) centralOffset, (int) (centralOffset + centralSize));
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            Entry e = centralEntry(source, data, central, (int) centralOffset);
            if (entries.putIfAbsent(e.name(), e) != null) {
                throw central.error("zip entry " + e.name() + " appears twice");
            }
        }
        return new ZipArchive(source, data, Collections.unmodifiableMap(entries));
    }

    /** The end record sits in the last 22 bytes plus at most a 65535-byte comment. */
    private static int findEndRecord(byte[] data) {
        int lowest = Math.max(0, data.length - END_RECORD_BYTES - 0xffff);
        for (int i = data.length - END_RECORD_BYTES; i >= lowest; i--) {
            if (data[i] == 'P' && data[i + 1] == 'K' && data[i + 2] == 5 && data[i + 3] == 6) {
                return i;
            }
        }
        return -1;
    }

    private static Entry centralEntry(String source, byte[] data, ByteCursor c, int centralOffset)
            throws CheckpointFormatException {
        if (c.i32() != CENTRAL_SIGNATURE) {
            throw c.error("bad zip central directory entry signature");
        }
        c.skip(4); // versions
        int flags = c.u16();
        int method = c.u16();
        c.skip(4); // time, date
        int crc = c.i32();
        long compressed = c.u32();
        long size = c.u32();
        int nameLength = c.u16();
        int extraLength = c.u16();
        int commentLength = c.u16();
        c.skip(8); // disk, attributes
        long localOffset = c.u32();
        String name = c.utf8(nameLength);
        c.skip(extraLength + commentLength);
        if ((flags & 1) != 0) {
            throw c.error("zip entry " + name + " is encrypted");
        }
        if (method != 0 || compressed != size) {
            throw c.error("zip entry " + name + " is compressed (method " + method
                    + "); torch.save stores entries uncompressed");
        }
        if (localOffset >= centralOffset) {
            throw c.error("zip entry " + name + " has its local header at " + localOffset
                    + ", past the central directory at " + centralOffset);
        }
        ByteCursor local = new ByteCursor(source, data, (int) localOffset, centralOffset);
        if (local.i32() != LOCAL_SIGNATURE) {
            throw local.error("bad local header signature for zip entry " + name);
        }
        local.skip(22);
        int localName = local.u16();
        int localExtra = local.u16();
        local.skip(localName + localExtra);
        int start = local.skip(size);
        CRC32 check = new CRC32();
        check.update(data, start, (int) size);
        if ((int) check.getValue() != crc) {
            throw local.error("CRC-32 mismatch in zip entry " + name + " (corrupt data)");
        }
        return new Entry(name, start, (int) size);
    }

    Set<String> names() {
        return entries.keySet();
    }

    /** The entry called {@code name}, or null. */
    Entry get(String name) {
        return entries.get(name);
    }

    ByteBuffer buffer(Entry e) {
        return ByteBuffer.wrap(data, e.start(), e.length()).slice();
    }

    /** A cursor over the entry, naming it in errors. */
    ByteCursor cursor(Entry e) {
        return new ByteCursor(source + " (" + e.name() + ")", data, e.start(), e.start(), e.start() + e.length());
    }
}
