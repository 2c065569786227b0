package dev.graft.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The images inside a CUDA fatbin as nvcc writes it (an undocumented but stable container): a 16-byte header
 * (magic {@code 0xBA55ED50}, u16 version, u16 header size, u64 size of the entries), then entries, each a header
 * (u16 kind: 1 PTX, 2 ELF cubin; u16 version; u32 header size; u64 payload size; ...; u32 virtual or real
 * architecture at byte 28, e.g. 80 for sm_80) followed by its payload. Parsed so that a wrong or truncated
 * resource is named before the driver rejects it, and so that tests can check which architectures it holds.
 */
final class FatbinContainer {
    static final int MAGIC = 0xBA55ED50;
    static final int KIND_PTX = 1;
    static final int KIND_ELF = 2;

    /** One image: its kind, its architecture (compute capability × 10) and its payload bytes. */
    record Image(int kind, int arch, byte[] payload) {
        String describe() {
            return (kind == KIND_PTX ? "compute_" : "sm_") + arch;
        }
    }

    private FatbinContainer() {
    }

    /** The images of {@code fatbin}, in file order; throws naming the fault when the bytes are no fatbin. */
    static List<Image> images(byte[] fatbin) {
        ByteBuffer b = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN);
        if (fatbin.length < 16 || b.getInt(0) != MAGIC) {
            throw new IllegalArgumentException("fatbin of " + fatbin.length + " bytes: no fatbin magic 0x"
                    + Integer.toHexString(MAGIC) + " at its start");
        }
        int headerSize = Short.toUnsignedInt(b.getShort(6));
        long entriesSize = b.getLong(8);
        if (headerSize < 16 || headerSize + entriesSize > fatbin.length) {
            throw new IllegalArgumentException("fatbin of " + fatbin.length + " bytes: header of " + headerSize
                    + " bytes announces " + entriesSize + " bytes of entries");
        }
        List<Image> images = new ArrayList<>();
        long end = headerSize + entriesSize;
        long at = headerSize;
        while (at < end) {
            if (at + 32 > end) {
                throw new IllegalArgumentException("fatbin of " + fatbin.length + " bytes: entry header at " + at
                        + " runs past the end of the entries at " + end);
            }
            int pos = (int) at;
            int kind = Short.toUnsignedInt(b.getShort(pos));
            long entryHeader = Integer.toUnsignedLong(b.getInt(pos + 4));
            long payload = b.getLong(pos + 8);
            int arch = b.getInt(pos + 28);
            if ((kind != KIND_PTX && kind != KIND_ELF) || entryHeader < 32 || payload < 0
                    || at + entryHeader + payload > end) {
                throw new IllegalArgumentException("fatbin of " + fatbin.length + " bytes: bad entry at " + at
                        + " (kind " + kind + ", header " + entryHeader + " bytes, payload " + payload + " bytes)");
            }
            int from = (int) (at + entryHeader);
            images.add(new Image(kind, arch, Arrays.copyOfRange(fatbin, from, (int) (from + payload))));
            at += entryHeader + payload;
        }
        return images;
    }
}
