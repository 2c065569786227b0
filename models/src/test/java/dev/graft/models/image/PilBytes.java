package dev.graft.models.image;

import dev.graft.engine.Tensor;

import java.util.zip.CRC32;

/** Compares decoded images with the bytes Pillow's {@code Image.tobytes()} gives for an RGB image. */
public final class PilBytes {
    private PilBytes() {
    }

    /** CRC-32 of a decoded [3, H, W] image's 8-bit values in row-major HWC order. */
    public static long crc32(Tensor chw) {
        float[] v = chw.toFloatArray();
        int plane = chw.size(1) * chw.size(2);
        byte[] hwc = new byte[v.length];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                hwc[3 * i + c] = (byte) Math.round(v[c * plane + i] * 255f);
            }
        }
        CRC32 crc = new CRC32();
        crc.update(hwc);
        return crc.getValue();
    }
}
