package dev.graft.models.data;

import dev.graft.engine.cpu.Parallel;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * Where loaders prepare their batches: graft's one compute pool, shared with the CPU kernels, so that the
 * threads doing graft work at once never exceed the pool's N threads.
 *
 * <p>The rule. With N >= 2, at most N - 1 preparations are handed to the pool at once over all loaders, and at
 * most a loader's own limit of its own; the rest wait here, oldest first. So one pool thread is always left for
 * the kernels the training thread waits on. With N = 1 the kernels run on the calling thread (see
 * {@link Parallel#forRange}) and so does preparation: a batch is prepared on the consumer's thread when the
 * consumer asks for it, and nothing is prepared ahead.
 *
 * <p>A preparation only decodes and transforms; it never waits for another pool task, which on a small pool
 * could wait forever. Closing a loader's {@link Share} cancels its jobs (one already handed to the pool returns
 * at once when it gets a thread) and waits for those running.
 */
final class PreparationPool {
    private static final long CLOSE_WAIT_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final int threads;
    private final Executor executor;
    /** Guarded by this: jobs waiting for room in the pool, oldest first. */
    private final ArrayDeque<Job> waiting = new ArrayDeque<>();
    /** Guarded by this: jobs handed to the executor and not yet returned, over all shares. */
    private int handed;

    /**
     * A pool of {@code threads} threads that runs what it is given on {@code executor}; the seam through which
     * tests use a pool of another size than this JVM's.
     */
    PreparationPool(int threads, Executor executor) {
        if (threads < 1 || executor == null) {
            throw new IllegalArgumentException("preparation pool: need >= 1 thread and an executor, got " + threads
                    + " and " + executor);
        }
        this.threads = threads;
        this.executor = executor;
    }

    /** graft's compute pool, sized on first use (after {@code --threads} has set it). */
    static PreparationPool graft() {
        return Graft.POOL;
    }

    private static final class Graft {
        static final PreparationPool POOL = new PreparationPool(Parallel.threads(), Parallel::execute);
    }

    /** The default of a loader's limit: every thread the kernels leave, at least one. */
    int defaultWorkers() {
        return Math.max(1, threads - 1);
    }

    /** A loader's share: at most {@code workers} of its batches in preparation at once, within the pool's rule. */
    Share share(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("preparation pool: workers must be >= 1, got " + workers);
        }
        return new Share(threads == 1 ? 0 : Math.min(workers, threads - 1));
    }

    /** One loader's jobs. */
    final class Share {
        /** Jobs of this share handed to the pool at once, at most; 0 when they run on the consumer. */
        private final int limit;
        /** Guarded by the pool: this share's jobs not yet finished or cancelled. */
        private final Set<Job> unfinished = new HashSet<>();
        /** Guarded by the pool. */
        private int handed;
        /** Guarded by the pool: jobs of this share running now, on the pool or on a consumer. */
        private int running;
        /** Guarded by the pool. */
        private boolean closed;

        private Share(int limit) {
            this.limit = limit;
        }

        /** Batches this share may prepare at once: 0 when they are prepared on the consumer's thread. */
        int limit() {
            return limit;
        }

        /**
         * Prepares {@code work} on the pool when there is room, or, with one thread, on whichever thread first
         * calls {@code get} on the result.
         *
         * @throws IllegalStateException after {@link #close}
         */
        Future<DataLoader.Loaded> submit(Callable<DataLoader.Loaded> work) {
            synchronized (PreparationPool.this) {
                if (closed) {
                    throw new IllegalStateException("data loader: closed");
                }
                Job job = new Job(this, work);
                unfinished.add(job);
                if (limit > 0) {
                    waiting.add(job);
                    dispatch();
                }
                return job;
            }
        }

        /**
         * Cancels every job of this share (waiting consumers see a {@link java.util.concurrent.CancellationException})
         * and waits up to a minute for the running ones to return. Idempotent.
         *
         * @return false when a job still runs after that minute
         */
        boolean close() throws InterruptedException {
            synchronized (PreparationPool.this) {
                closed = true;
                unfinished.forEach(job -> job.cancel(false));
                unfinished.clear();
                waiting.removeIf(job -> job.share == this);
                long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
                while (running > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(PreparationPool.this, left);
                }
                return true;
            }
        }
    }

    /** Hands waiting jobs to the pool, oldest first, while the pool and their shares have room. Holds this. */
    private void dispatch() {
        for (Iterator<Job> it = waiting.iterator(); it.hasNext() && handed < threads - 1; ) {
            Job job = it.next();
            if (job.share.handed < job.share.limit) {
                it.remove();
                handed++;
                job.share.handed++;
                executor.execute(() -> runHanded(job));
            }
        }
    }

    /** On a pool thread: the job, then the room it took goes to the next waiting job. */
    private void runHanded(Job job) {
        try {
            prepare(job);
        } finally {
            synchronized (this) {
                handed--;
                job.share.handed--;
                dispatch();
            }
        }
    }

    /** Runs the job on this thread unless it has run or was cancelled; a closing share waits for it. */
    private void prepare(Job job) {
        synchronized (this) {
            if (job.isDone()) {
                return;
            }
            job.share.running++;
        }
        try {
            job.run();
        } finally {
            synchronized (this) {
                job.share.running--;
                job.share.unfinished.remove(job);
                notifyAll();
            }
        }
    }

    /** A batch's preparation; its result is the batch. */
    private final class Job extends FutureTask<DataLoader.Loaded> {
        private final Share share;

        Job(Share share, Callable<DataLoader.Loaded> work) {
            super(work);
            this.share = share;
        }

        /** With one pool thread, the consumer asking for the batch is the thread that prepares it. */
        @Override
        public DataLoader.Loaded get() throws InterruptedException, ExecutionException {
            if (share.limit == 0) {
                prepare(this);
            }
            return super.get();
        }
    }
}
