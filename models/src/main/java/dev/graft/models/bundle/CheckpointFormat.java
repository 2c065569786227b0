package dev.graft.models.bundle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.StringJoiner;

/** The file types graft loads weights from, told apart by their first bytes, never by the file name. */
public enum CheckpointFormat {
    /** An 8-byte little-endian header length, then a JSON header: graft bundles, timm and Hugging Face files. */
    SAFETENSORS("safetensors"),
    /** torch.save since PyTorch 1.6: a zip archive. */
    PYTORCH_ZIP("PyTorch zip"),
    /** torch.save before PyTorch 1.6 (or with {@code _use_new_zipfile_serialization=False}): pickles. */
    PYTORCH_LEGACY("PyTorch legacy");

    private static final int PROBE_BYTES = 9;

    private final String description;

    CheckpointFormat(String description) {
        this.description = description;
    }

    /**
     * The type of {@code file} by its magic bytes.
     *
     * @throws WeightsException if the file is none of them, naming its first bytes
     */
    public static CheckpointFormat detect(Path file) throws IOException, WeightsException {
        ByteBuffer head = ByteBuffer.allocate(PROBE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long size;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            size = channel.size();
            int read = 0;
            while (head.hasRemaining() && read >= 0) { // reads may come back short; stop at the end of the file
                read = channel.read(head);
            }
        }
        head.flip();
        int n = head.limit();
        if (n == 0) {
            throw new WeightsException(file + ": not a weights file: the file is empty");
        }
        // A header length that fits in the file, followed by the header's opening brace.
        if (n == PROBE_BYTES && head.getLong(0) >= 2 && head.getLong(0) <= size - 8 && head.get(8) == '{') {
            return SAFETENSORS;
        }
        if (n >= 4 && head.get(0) == 'P' && head.get(1) == 'K' && head.get(2) == 3 && head.get(3) == 4) {
            return PYTORCH_ZIP;
        }
        // A pickle opens with PROTO and its protocol; torch.save writes protocol 2 unless told otherwise.
        if (n >= 2 && (head.get(0) & 0xff) == 0x80 && head.get(1) >= 2 && head.get(1) <= 5) {
            return PYTORCH_LEGACY;
        }
        StringJoiner bytes = new StringJoiner(" ");
        for (int i = 0; i < n; i++) {
            bytes.add(String.format("%02x", head.get(i) & 0xff));
        }
        throw new WeightsException(file + ": not a weights file graft reads: it starts with bytes " + bytes
                + ", expected a safetensors header, a zip archive (PyTorch >= 1.6) or a pickle (older PyTorch)");
    }

    @Override
    public String toString() {
        return description;
    }
}
