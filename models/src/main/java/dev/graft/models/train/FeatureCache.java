package dev.graft.models.train;

import dev.graft.engine.Backend;
import dev.graft.engine.Backends;
import dev.graft.engine.Functional;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.models.data.Batch;
import dev.graft.models.data.DataLoader;
import dev.graft.models.resnet.StagedNetwork;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;

/**
 * Backbone features of every image of a dataset, computed once without autograd so that a run whose backbone
 * is frozen (and whose inputs are deterministic) trains and validates only its head after the first epoch.
 * Rows are indexed by dataset index; images that failed to decode have no row. Features stay in memory up to
 * {@code memoryLimitBytes} and go to a file in the run folder beyond, read back a batch at a time.
 *
 * <p>A frozen backbone computes the same features in training and evaluation mode (its BatchNorm layers use
 * their running statistics either way, and it has no dropout), so caching changes no number of the run.
 */
final class FeatureCache implements AutoCloseable {
    private final int dim;
    private final boolean[] present;
    /** The in-memory features [size, dim] on the network's backend, so batches are gathered there; or null. */
    private final Tensor memory;
    private final FileChannel file;
    private final Path path;
    private final double seconds;

    private FeatureCache(int dim, boolean[] present, Tensor memory, FileChannel file, Path path, double seconds) {
        this.dim = dim;
        this.present = present;
        this.memory = memory;
        this.file = file;
        this.path = path;
        this.seconds = seconds;
    }

    /**
     * Runs the backbone over every batch of {@code loader}'s epoch 0 (a sequential, deterministic loader over
     * {@code size} images).
     */
    static FeatureCache compute(StagedNetwork network, Backend device, DataLoader loader, int size, Path spillFile,
                                long memoryLimitBytes) throws IOException {
        long start = System.nanoTime();
        int dim = network.featureDim();
        long bytes = (long) size * dim * Float.BYTES;
        boolean inMemory = bytes <= memoryLimitBytes;
        float[] memory = inMemory ? new float[size * dim] : null;
        FileChannel file = inMemory ? null : FileChannel.open(spillFile, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ, StandardOpenOption.WRITE);
        boolean[] present = new boolean[size];
        boolean training = network.isTraining();
        network.eval();
        try (var _ = NoGrad.enter()) {
            for (Iterator<Batch> it = loader.epoch(0); it.hasNext(); ) {
                Batch b = it.next();
                float[] f = network.features(b.images().to(device)).toFloatArray();
                for (int r = 0; r < b.indices().length; r++) {
                    int row = b.indices()[r];
                    present[row] = true;
                    if (inMemory) {
                        System.arraycopy(f, r * dim, memory, row * dim, dim);
                    } else {
                        ByteBuffer buf = ByteBuffer.allocate(dim * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                        buf.asFloatBuffer().put(f, r * dim, dim);
                        file.write(buf, (long) row * dim * Float.BYTES);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            if (file != null) {
                file.close();
                Files.deleteIfExists(spillFile);
            }
            throw e;
        } finally {
            if (training) {
                network.train();
            }
        }
        // Handed over without a copy on the CPU; uploaded once to any other device.
        Tensor table = inMemory ? Tensor.of(Backends.cpu().upload(memory), size, dim).to(device) : null;
        return new FeatureCache(dim, present, table, file, inMemory ? null : spillFile,
                (System.nanoTime() - start) / 1e9);
    }

    boolean has(int row) {
        return present[row];
    }

    int dim() {
        return dim;
    }

    boolean onDisk() {
        return memory == null;
    }

    double secondsToCompute() {
        return seconds;
    }

    /** The features of {@code rows} (all present), [rows.length, dim], on the network's backend when in memory. */
    Tensor rows(int[] rows) {
        if (memory != null) {
            long[] indices = new long[rows.length];
            for (int r = 0; r < rows.length; r++) {
                indices[r] = rows[r];
            }
            return Functional.gatherRows(memory, Tensor.ofLongs(indices, rows.length).to(memory.backend()));
        }
        float[] out = new float[rows.length * dim];
        for (int r = 0; r < rows.length; r++) {
            ByteBuffer buf = ByteBuffer.allocate(dim * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            try {
                long at = (long) rows[r] * dim * Float.BYTES;
                while (buf.hasRemaining()) {
                    if (file.read(buf, at + buf.position()) < 0) {
                        throw new IOException(path + ": feature cache ends early at row " + rows[r]);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            buf.flip().asFloatBuffer().get(out, r * dim, dim);
        }
        return Tensor.of(out, rows.length, dim);
    }

    @Override
    public void close() throws IOException {
        if (file != null) {
            file.close();
            Files.deleteIfExists(path);
        }
    }
}
