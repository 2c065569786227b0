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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Batches of decoded, transformed images, prepared on worker threads ahead of the consumer.
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
 * <p>Threads: workers are daemon threads created on the first epoch and ended by {@link #close}; idle ones
 * also end by themselves after a few seconds. Each epoch iterator keeps at most {@code prefetch} batches in
 * preparation, so an abandoned iterator leaves at most that much work behind and holds no thread. One
 * consumer thread per iterator.
 */
public final class DataLoader implements AutoCloseable {
    private static final AtomicInteger LOADERS = new AtomicInteger();
    private static final long IDLE_SECONDS = 30;

    private final ImageDataset data;
    private final Pipeline pipeline;
    private final int batchSize;
    private final SamplerKind sampler;
    private final boolean dropLast;
    private final long seed;
    private final int workers;
    private final int prefetch;
    private final Consumer<String> warnings;
    private final String threadName;

    /** Dataset index → reason, for every file a worker has failed on. */
    private final Map<Integer, String> failed = new ConcurrentHashMap<>();
    /** Guarded by this: the failures already reported, and their reports in order. */
    private final Set<Integer> reported = new HashSet<>();
    private final List<String> reports = new ArrayList<>();
    /** Guarded by this; created by the first epoch. */
    private ThreadPoolExecutor pool;
    /** Guarded by this: the workers started and not yet seen to have ended, for {@link #close} to join. */
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    private DataLoader(Builder b) {
        data = b.data;
        pipeline = b.pipeline;
        batchSize = b.batchSize;
        sampler = b.sampler;
        dropLast = b.dropLast;
        seed = b.seed;
        workers = b.workers;
        prefetch = b.prefetch > 0 ? b.prefetch : 2 * b.workers;
        warnings = b.warnings;
        threadName = "graft-data-" + LOADERS.incrementAndGet() + "-";
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
        private int workers = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
        private int prefetch;
        private Consumer<String> warnings = System.err::println;

        private Builder(ImageDataset data, Pipeline pipeline) {
            this.data = data;
            this.pipeline = pipeline;
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

        /** Worker threads (default: one fewer than the processors, at least one). */
        public Builder workers(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("data loader: workers must be >= 1, got " + n);
            }
            workers = n;
            return this;
        }

        /** Batches prepared ahead of the consumer, at most (default twice the workers). */
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
     * Stops the workers and waits for them to finish the file each is on; iterators fail from then on.
     * Idempotent.
     */
    @Override
    public void close() {
        ThreadPoolExecutor stopping;
        List<Thread> started;
        synchronized (this) {
            closed = true;
            stopping = pool;
            started = List.copyOf(threads);
        }
        if (stopping == null) {
            return;
        }
        for (Runnable queued : stopping.shutdownNow()) {
            if (queued instanceof Future<?> f) {
                f.cancel(false); // so that an iterator waiting on it wakes up
            }
        }
        try {
            if (!stopping.awaitTermination(1, TimeUnit.MINUTES)) {
                warnings.accept("data loader: a worker is still decoding a file one minute after close");
                return;
            }
            // The pool counts a worker as done just before its thread ends; wait for the end itself.
            for (Thread t : started) {
                t.join();
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

    /** Starts preparing batch {@code batch} of an epoch with this order. */
    synchronized Future<Loaded> submit(int epoch, int[] order, int batch) {
        checkOpen();
        if (pool == null) {
            AtomicInteger count = new AtomicInteger();
            pool = new ThreadPoolExecutor(workers, workers, IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                    task -> newWorker(task, threadName + count.incrementAndGet()));
            pool.allowCoreThreadTimeOut(true);
        }
        int from = batch * batchSize;
        int to = Math.min(from + batchSize, order.length);
        return pool.submit(() -> load(epoch, order, from, to));
    }

    /** Called by the pool, from {@link #submit} (which holds this lock) or from a worker that replaces itself. */
    private synchronized Thread newWorker(Runnable task, String name) {
        threads.removeIf(t -> !t.isAlive()); // workers that ended idle
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        threads.add(t);
        return t;
    }

    /** A prepared batch, null when none of its files could be read, and the failures met preparing it. */
    record Loaded(Batch batch, List<Failure> failures) {
    }

    record Failure(int index, Path path, String reason) {
    }

    /** Decodes and transforms positions [from, to) of an epoch's order; runs on a worker. */
    private Loaded load(int epoch, int[] order, int from, int to) {
        int sampleSize = pipeline.channels() * pipeline.imageSize() * pipeline.imageSize();
        float[] images = new float[(to - from) * sampleSize];
        long[] labels = new long[to - from];
        int[] indices = new int[to - from];
        List<Failure> failures = new ArrayList<>();
        int count = 0;
        for (int position = from; position < to; position++) {
            if (Thread.currentThread().isInterrupted()) {
                throw new IllegalStateException("data loader: closed while preparing a batch");
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
