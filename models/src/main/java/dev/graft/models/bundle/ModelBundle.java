package dev.graft.models.bundle;

import dev.graft.engine.safetensors.SafetensorsFile;
import dev.graft.engine.safetensors.SafetensorsFormatException;
import dev.graft.engine.safetensors.SafetensorsWriter;
import dev.graft.models.resnet.StagedNetwork;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;

/**
 * graft's own weights file: one safetensors file holding a network's state dict (parameters and buffers under
 * their torchvision names) and, in its {@code __metadata__}, the {@link BundleMetadata} that rebuilds the
 * network and feeds it. Load one with {@link WeightsLoader#load}.
 */
public final class ModelBundle {
    private static final String VERSION_RESOURCE = "graft-version.properties";
    private static final int HASH_CHUNK_BYTES = 1 << 22;

    private ModelBundle() {
    }

    /**
     * Writes {@code network}'s state dict and {@code metadata} to {@code file}, replacing it atomically (a crash
     * never leaves a half-written bundle).
     *
     * @throws IllegalArgumentException if the metadata's class count is not the network's
     */
    public static void write(Path file, StagedNetwork network, BundleMetadata metadata) throws IOException {
        int outputs = Classifier.of(network).outputs();
        if (outputs != metadata.numClasses()) {
            throw new IllegalArgumentException(file + ": metadata says " + metadata.numClasses()
                    + " classes but the network's classifier has " + outputs + " outputs");
        }
        SafetensorsWriter.write(file, network.stateDict(), metadata.toMap());
    }

    /**
     * The metadata of bundle {@code file}, read from its header alone.
     *
     * @throws WeightsException if the file is not a safetensors file, not a graft bundle, or its metadata is invalid
     */
    public static BundleMetadata readMetadata(Path file) throws IOException, WeightsException {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            if (!BundleMetadata.isBundle(st.metadata())) {
                throw new WeightsException(file + ": not a graft bundle (its metadata has no format="
                        + BundleMetadata.FORMAT + ")");
            }
            return BundleMetadata.fromMap(file, st.metadata());
        } catch (SafetensorsFormatException e) {
            throw new WeightsException(e.getMessage(), e);
        }
    }

    /** The version of graft in use, as Maven stamped it into the build. */
    public static String graftVersion() {
        try (InputStream in = ModelBundle.class.getResourceAsStream(VERSION_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + VERSION_RESOURCE + " is missing from the graft build");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Hex SHA-256 of a file's bytes, the provenance a bundle records of its source checkpoint. */
    public static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
        ByteBuffer buffer = ByteBuffer.allocateDirect(HASH_CHUNK_BYTES);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            while (channel.read(buffer.clear()) >= 0) {
                digest.update(buffer.flip());
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
