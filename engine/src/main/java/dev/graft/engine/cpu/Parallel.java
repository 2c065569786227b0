package dev.graft.engine.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Parallel loops for the CPU kernels. Work is split into contiguous index ranges so that each task touches
 * a compact block of memory; ranges smaller than {@code grain} run on the calling thread.
 *
 * <p>The kernels own a pool sized to every core (system property {@code graft.threads} overrides it): the
 * common pool keeps one core free for the caller, which halves throughput on a two-core machine. It is graft's
 * one compute pool: data loading runs its work on it too ({@link #execute}), so that the threads computing at
 * once never exceed {@link #threads()}.
 */
public final class Parallel {
    /** Numbers the pool's threads: a worker gets its pool index only once it runs, so the factory sees 0. */
    private static final AtomicInteger WORKERS = new AtomicInteger();
    private static final int SIZE =
            Math.max(1, Integer.getInteger("graft.threads", Runtime.getRuntime().availableProcessors()));
    /**
     * Never more threads than {@link #SIZE}: a worker that waits in a join of a nested loop helps run the loop's
     * tasks instead of having the pool start a spare thread beside it (the tasks only fork and join each other,
     * and data loading's never wait, so the pool always progresses).
     */
    private static final ForkJoinPool POOL = new ForkJoinPool(SIZE,
            pool -> {
                var worker = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                worker.setDaemon(true);
                worker.setName("graft-cpu-" + WORKERS.getAndIncrement());
                return worker;
            }, null, false, 0, SIZE, 1, pool -> true, 60, TimeUnit.SECONDS);

    private Parallel() {
    }

    /** Number of worker threads the kernels may use. */
    public static int threads() {
        return Math.max(1, POOL.getParallelism());
    }

    /**
     * Runs {@code task} on a pool thread, later: how work that overlaps the kernels (data loading) shares their
     * threads instead of bringing its own. Fire-and-forget on purpose, with no Future to wait on: the task must
     * not wait for another pool task (a small pool would wait forever), and it hands over its own result (an
     * exception it throws only reaches the thread's uncaught-exception handler). Callers bound how many such
     * tasks they have at once, so that the loops keep a thread.
     */
    public static void execute(Runnable task) {
        if (task == null) {
            throw new IllegalArgumentException("parallel execute: task must not be null");
        }
        POOL.execute(task);
    }

    /** Calls {@code body.accept(i)} for every i in [0, n), split over threads in chunks of at least {@code grain}. */
    public static void forEach(int n, int grain, IntConsumer body) {
        forRange(n, grain, (from, to) -> {
            for (int i = from; i < to; i++) {
                body.accept(i);
            }
        });
    }

    /** Calls {@code body.run(from, to)} on disjoint ranges covering [0, n). */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        int tasks = Math.min(threads() * 4, (n + g - 1) / g);
        if (tasks <= 1 || threads() <= 1) {
            body.run(0, n);
            return;
        }
        POOL.invoke(new Split(body, 0, n, (n + tasks - 1) / tasks));
    }

    /** A loop body over the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final class Split extends RecursiveAction {
        private final RangeBody body;
        private final int from;
        private final int to;
        private final int chunk;

        Split(RangeBody body, int from, int to, int chunk) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.chunk = chunk;
        }

        @Override
        protected void compute() {
            if (to - from <= chunk) {
                body.run(from, to);
                return;
            }
            int mid = from + ((to - from) / chunk / 2) * chunk;
            if (mid == from) {
                mid = from + chunk;
            }
            invokeAll(new Split(body, from, mid, chunk), new Split(body, mid, to, chunk));
        }
    }
}
