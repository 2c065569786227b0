package dev.graft.models.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rule of {@link PreparationPool}, on pools of chosen sizes: the pool's tasks are held by a {@link Manual}
 * executor and run when the test says, so "handed to the pool and not yet returned" is counted exactly, without
 * threads or timing.
 */
class PreparationPoolTest {
    private static final DataLoader.Loaded NOTHING = new DataLoader.Loaded(null, List.of());

    @Test
    void withFourThreadsAtMostThreeJobsAreOutOverAllLoadersAndEachLoaderKeepsItsOwnLimit() throws Exception {
        Manual executor = new Manual();
        PreparationPool pool = new PreparationPool(4, executor);
        PreparationPool.Share two = pool.share(2);
        PreparationPool.Share many = pool.share(9);
        assertEquals(2, two.limit());
        assertEquals(3, many.limit(), "capped at N - 1");
        AtomicInteger ran = new AtomicInteger();
        List<Future<DataLoader.Loaded>> futures = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            futures.add(two.submit(counting(ran)));
        }
        assertEquals(2, executor.out(), "a loader alone: its own limit");
        for (int i = 0; i < 6; i++) {
            futures.add(many.submit(counting(ran)));
        }
        assertEquals(3, executor.out(), "two loaders: N - 1 over both");
        Random random = new Random(5);
        while (executor.out() > 0) {
            executor.runOne(random.nextInt(executor.out()));
            assertTrue(executor.out() <= 3, "out: " + executor.out());
        }
        assertEquals(3, executor.maxOut());
        assertEquals(12, ran.get(), "every job ran once");
        for (Future<DataLoader.Loaded> f : futures) {
            assertSame(NOTHING, f.get());
        }
    }

    @Test
    void theCheckFlagsLoadersThatEachCountOnlyTheirOwnJobs() {
        // The shape before the shared pool: every loader with its own budget of N - 1 beside the same kernels.
        Manual executor = new Manual();
        PreparationPool.Share first = new PreparationPool(3, executor).share(2);
        PreparationPool.Share second = new PreparationPool(3, executor).share(2);
        for (int i = 0; i < 4; i++) {
            first.submit(() -> NOTHING);
            second.submit(() -> NOTHING);
        }
        assertEquals(4, executor.maxOut(), "four out at once with N = 3: the rule (at most 2) is broken, and seen");
    }

    @Test
    void withOneThreadNothingGoesToThePoolAndTheConsumerPreparesWhatItAsksFor() throws Exception {
        PreparationPool pool = new PreparationPool(1, task -> {
            throw new AssertionError("one thread: nothing may be handed to the pool");
        });
        PreparationPool.Share share = pool.share(3);
        assertEquals(0, share.limit());
        List<Thread> first = new ArrayList<>();
        List<Thread> second = new ArrayList<>();
        Future<DataLoader.Loaded> a = share.submit(recording(first));
        Future<DataLoader.Loaded> b = share.submit(recording(second));
        assertEquals(List.of(), first, "no preparation ahead of the consumer");
        b.get();
        b.get();
        assertEquals(List.of(Thread.currentThread()), second, "prepared once, on the thread that asked");
        assertEquals(List.of(), first);
        a.get();
        assertEquals(List.of(Thread.currentThread()), first);
    }

    @Test
    void closeCancelsQueuedJobsSoThatNoneRunsAfterwardAndNewOnesAreRefused() throws Exception {
        Manual executor = new Manual();
        PreparationPool.Share share = new PreparationPool(3, executor).share(2);
        AtomicInteger ran = new AtomicInteger();
        List<Future<DataLoader.Loaded>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(share.submit(counting(ran)));
        }
        assertEquals(2, executor.out());
        assertTrue(share.close());
        assertTrue(futures.stream().allMatch(Future::isCancelled));
        assertThrows(CancellationException.class, () -> futures.get(4).get());
        executor.runOne(0);
        executor.runOne(0);
        assertEquals(0, ran.get(), "jobs handed to the pool before close return at once");
        assertEquals(2, executor.handedTotal(), "and hand nothing more to the pool");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> share.submit(() -> NOTHING));
        assertEquals("data loader: closed", e.getMessage());
        assertTrue(share.close(), "idempotent");
    }

    @Test
    void closeWaitsForAJobThatIsRunning() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        PreparationPool.Share share = new PreparationPool(2, task -> Thread.ofPlatform().daemon().start(task))
                .share(1);
        share.submit(() -> {
            entered.countDown();
            release.await();
            finished.set(true);
            return NOTHING;
        });
        entered.await();
        AtomicBoolean closed = new AtomicBoolean();
        Thread closer = Thread.ofPlatform().start(() -> {
            try {
                closed.set(share.close());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        while (closer.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
        }
        assertTrue(closer.isAlive(), "close waits while the job runs");
        assertFalse(finished.get());
        release.countDown();
        closer.join();
        assertTrue(finished.get(), "close returned only after the job");
        assertTrue(closed.get());
    }

    @Test
    void sharesRejectBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new PreparationPool(0, Runnable::run));
        assertThrows(IllegalArgumentException.class, () -> new PreparationPool(2, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PreparationPool(2, Runnable::run).share(0));
        assertTrue(e.getMessage().contains("workers") && e.getMessage().contains("0"), e.getMessage());
        assertEquals(3, new PreparationPool(4, Runnable::run).defaultWorkers());
        assertEquals(1, new PreparationPool(1, Runnable::run).defaultWorkers());
    }

    private static Callable<DataLoader.Loaded> counting(AtomicInteger ran) {
        return () -> {
            ran.incrementAndGet();
            return NOTHING;
        };
    }

    private static Callable<DataLoader.Loaded> recording(List<Thread> threads) {
        return () -> {
            threads.add(Thread.currentThread());
            return NOTHING;
        };
    }

    /**
     * Holds what the pool hands it until the test runs it, on the test's thread. A task hands over the next job
     * only after its own job has returned, so the tasks held are exactly the jobs out (handed, not returned).
     */
    static final class Manual implements Executor {
        private final List<Runnable> held = new ArrayList<>();
        private int maxOut;
        private int handedTotal;

        @Override
        public void execute(Runnable task) {
            held.add(task);
            handedTotal++;
            maxOut = Math.max(maxOut, out());
        }

        void runOne(int i) {
            held.remove(i).run();
        }

        int out() {
            return held.size();
        }

        int maxOut() {
            return maxOut;
        }

        int handedTotal() {
            return handedTotal;
        }
    }
}
