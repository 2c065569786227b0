package dev.graft.models.data;

import dev.graft.engine.Backends;
import dev.graft.engine.Tensor;
import dev.graft.models.image.FloatImage;
import dev.graft.models.image.ImageDecoder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Batches of decoded, transformed images, prepared on graft's compute pool ahead of the consumer.
 *
 * <p>Determinism: an epoch's order comes from (seed, epoch) and each image's augmentation from (seed, epoch,
 * position in the epoch), never from thread timing, so epoch {@code e} is the same whatever the number of
 * workers and whenever it is run (the trainer's resume relies on this).
 *
 * <p>Unreadable files: a file that fails to decode or transform is reported once to the warning sink (path and
 * reason), counted, and from then on left out; the batch that held it simply has fewer images, and a batch
 * left with none is skipped. The order never changes because of a failure, so an epoch stays identical
 * whether or not earlier epochs met the file.
 *
 * <p>Threads: a loader has none of its own. Batches are prepared as tasks on the pool the CPU kernels use
 * ({@code dev.graft.engine.cpu.Parallel}, N threads), at most {@code workers} at once and, over all loaders,
 * at most N - 1, so a pool thread is always left for the kernels and graft never runs more than N threads of
 * work. With N = 1 a batch is prepared on the consumer's thread when it asks for it, without prefetch. Each
 * epoch iterator keeps at most {@code prefetch} batches in preparation, so an abandoned iterator leaves at
 * most that much work behind. One consumer thread per iterator.
 */
public final class DataLoader implements AutoCloseable {
    private final ImageDataset data;
    private final Pipeline pipeline;
    private final int batchSize;
    private final SamplerKind sampler;
    private final boolean dropLast;
    private final long seed;
    private final int prefetch;
    private final Consumer<String> warnings;
    private final PreparationPool.Share preparations;

    /** Dataset index → reason, for every file a preparation has failed on. */
    private final Map<Integer, String> failed = new ConcurrentHashMap<>();
    /** Guarded by this: the failures already reported, and their reports in order. */
    private final Set<Integer> reported = new HashSet<>();
    private final List<String> reports = new ArrayList<>();
    private volatile boolean closed;

    private DataLoader(Builder b) {
        data = b.data;
        pipeline = b.pipeline;
        batchSize = b.batchSize;
        sampler = b.sampler;
        dropLast = b.dropLast;
        seed = b.seed;
        warnings = b.warnings;
        PreparationPool pool = b.pool != null ? b.pool : PreparationPool.graft();
        preparations = pool.share(b.workers > 0 ? b.workers : pool.defaultWorkers());
        prefetch = b.prefetch > 0 ? b.prefetch : 2 * Math.max(1, preparations.limit());
    }

    public static Builder builder(ImageDataset data, Pipeline pipeline) {
        if (data == null || pipeline == null) {
            throw new IllegalArgumentException("data loader: need a dataset and a pipeline, got " + data + " and "
                    + pipeline);
        }
        return new Builder(data, pipeline);
    }

    /** Settings of a {@link DataLoader}; every one has a default. */
    public static final class Builder {
        private final ImageDataset data;
        private final Pipeline pipeline;
        private int batchSize = 32;
        private SamplerKind sampler = SamplerKind.SEQUENTIAL;
        private boolean dropLast;
        private long seed;
        /** 0: the pool's default. */
        private int workers;
        private int prefetch;
        private Consumer<String> warnings = System.err::println;
        /** Null: graft's compute pool. */
        private PreparationPool pool;

        private Builder(ImageDataset data, Pipeline pipeline) {
            this.data = data;
            this.pipeline = pipeline;
        }

        /** The pool to prepare on (default graft's compute pool); tests pass one of another size. */
        Builder pool(PreparationPool p) {
            pool = p;
            return this;
        }

        /** Images per batch (default 32); the last batch of an epoch may be smaller unless dropped. */
        public Builder batchSize(int b) {
            if (b < 1) {
                throw new IllegalArgumentException("data loader: batch size must be >= 1, got " + b);
            }
            batchSize = b;
            return this;
        }

        /** Visiting order (default SEQUENTIAL). */
        public Builder sampler(SamplerKind k) {
            if (k == null) {
                throw new IllegalArgumentException("data loader: sampler must not be null");
            }
            sampler = k;
            return this;
        }

        /** Whether to leave out an epoch's last, incomplete batch (default false). */
        public Builder dropLast(boolean d) {
            dropLast = d;
            return this;
        }

        /** Seed of the order and of every augmentation (default 0). */
        public Builder seed(long s) {
            seed = s;
            return this;
        }

        /**
         * Batches prepared at once, at most (default: one fewer than graft's compute threads, at least one). They
         * are prepared on graft's compute pool, which keeps one of its threads for the kernels whatever this
         * says; with a single compute thread, batches are prepared one at a time on the consumer's thread.
         */
        public Builder workers(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("data loader: workers must be >= 1, got " + n);
            }
            workers = n;
            return this;
        }

        /**
         * Batches prepared ahead of the consumer, at most (default twice the batches prepared at once); none with
         * a single compute thread.
         */
        public Builder prefetch(int batches) {
            if (batches < 1) {
                throw new IllegalArgumentException("data loader: prefetch must be >= 1 batch, got " + batches);
            }
            prefetch = batches;
            return this;
        }

        /** Where the one-line report of each unreadable file goes (default standard error). */
        public Builder onWarning(Consumer<String> sink) {
            if (sink == null) {
                throw new IllegalArgumentException("data loader: warning sink must not be null");
            }
            warnings = sink;
            return this;
        }

        public DataLoader build() {
            return new DataLoader(this);
        }
    }

    /**
     * The batches of epoch {@code epoch} (0-based). Order and every random augmentation depend only on (seed,
     * epoch, position), never on thread timing. BALANCED draws {@code size()} samples with replacement,
     * probability ∝ 1/classCount. Preparation starts at once, {@code prefetch} batches ahead.
     *
     * @throws IllegalArgumentException when {@code epoch < 0}
     * @throws IllegalStateException    after {@link #close}
     */
    public Iterator<Batch> epoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("data loader: epoch must be >= 0, got " + epoch);
        }
        checkOpen();
        int[] order = Sampler.order(data, sampler, seed, epoch);
        return new EpochIterator(this, epoch, order, batchesPerEpoch(), prefetch);
    }

    /**
     * The dataset indices epoch {@code epoch} visits, in order, before batching (a feature cache replays it to
     * give the batches this loader would).
     */
    public int[] order(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("data loader: epoch must be >= 0, got " + epoch);
        }
        return Sampler.order(data, sampler, seed, epoch);
    }

    public int batchSize() {
        return batchSize;
    }

    public boolean dropLast() {
        return dropLast;
    }

    /** Batches in an epoch: size / batchSize, rounded up unless the last is dropped. */
    public int batchesPerEpoch() {
        int n = data.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** Files that failed to decode so far, each counted once. */
    public synchronized int skippedFiles() {
        return reports.size();
    }

    /** "path: reason" of each file that failed so far, in the order reported. */
    public synchronized List<String> skippedReports() {
        return List.copyOf(reports);
    }

    /**
     * Drops the batches waiting to be prepared and waits for those being prepared to stop at the file each is
     * on; iterators fail from then on. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        try {
            if (!preparations.close()) {
                warnings.accept("data loader: a batch is still being prepared one minute after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("data loader: closed");
        }
    }

    /** Asks for batch {@code batch} of an epoch with this order, prepared on the pool when there is room. */
    Future<Loaded> submit(int epoch, int[] order, int batch) {
        checkOpen();
        int from = batch * batchSize;
        int to = Math.min(from + batchSize, order.length);
        return preparations.submit(() -> load(epoch, order, from, to));
    }

    /** A prepared batch, null when none of its files could be read, and the failures met preparing it. */
    record Loaded(Batch batch, List<Failure> failures) {
    }

    record Failure(int index, Path path, String reason) {
    }

    /** Decodes and transforms positions [from, to) of an epoch's order; runs on a pool thread or the consumer. */
    private Loaded load(int epoch, int[] order, int from, int to) {
        int sampleSize = pipeline.channels() * pipeline.imageSize() * pipeline.imageSize();
        float[] images = new float[(to - from) * sampleSize];
        long[] labels = new long[to - from];
        int[] indices = new int[to - from];
        List<Failure> failures = new ArrayList<>();
        int count = 0;
        for (int position = from; position < to; position++) {
            if (closed) {
                throw new IllegalStateException("data loader: closed while preparing positions " + from + ".." + to
                        + " of epoch " + epoch);
            }
            int index = order[position];
            Sample sample = data.samples().get(index);
            if (failed.containsKey(index)) {
                continue;
            }
            try {
                FloatImage image = FloatImage.of(ImageDecoder.read(sample.path()));
                FloatImage out = pipeline.apply(image, RandomStreams.of(seed, RandomStreams.AUGMENT, epoch, position));
                System.arraycopy(out.data(), 0, images, count * sampleSize, sampleSize);
                labels[count] = sample.label();
                indices[count] = index;
                count++;
            } catch (IOException | RuntimeException e) {
                // One bad file must not end the epoch: decoders also throw unchecked exceptions on bad data.
                String reason = reason(e, sample.path());
                failed.putIfAbsent(index, reason);
                failures.add(new Failure(index, sample.path(), reason));
            }
        }
        if (count == 0) {
            return new Loaded(null, failures);
        }
        int s = pipeline.imageSize();
        float[] kept = count == indices.length ? images : Arrays.copyOf(images, count * sampleSize);
        Tensor imageTensor = Tensor.of(Backends.cpu().upload(kept), count, pipeline.channels(), s, s);
        Tensor labelTensor = Tensor.ofLongs(Arrays.copyOf(labels, count), count);
        return new Loaded(new Batch(imageTensor, labelTensor, Arrays.copyOf(indices, count)), failures);
    }

    private static String reason(Exception e, Path path) {
        String message = e.getMessage();
        String prefix = path + ": ";
        if (e instanceof IOException && message != null) {
            return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
        }
        return e.toString();
    }

    /** Reports each failure the first time a consumer meets it; runs on the consumer's thread. */
    synchronized void report(List<Failure> failures) {
        for (Failure f : failures) {
            if (reported.add(f.index())) {
                String report = f.path() + ": " + f.reason();
                reports.add(report);
                warnings.accept("data loader: skipping unreadable image " + report);
            }
        }
    }
}
