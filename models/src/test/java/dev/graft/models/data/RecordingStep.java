package dev.graft.models.data;

import dev.graft.models.image.FloatImage;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * A pipeline step that hands images through unchanged and records the threads that apply it, the calls, and
 * how many run at once; a held one keeps every call waiting until {@link #release}.
 */
final class RecordingStep implements Step {
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger maxActive = new AtomicInteger();
    private final CountDownLatch gate;

    RecordingStep(boolean held) {
        gate = new CountDownLatch(held ? 1 : 0);
    }

    @Override
    public FloatImage apply(FloatImage image, RandomGenerator rng) {
        threads.add(Thread.currentThread());
        calls.incrementAndGet();
        maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
        try {
            gate.await();
            return image;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("recording step: interrupted while held", e);
        } finally {
            active.decrementAndGet();
        }
    }

    @Override
    public boolean random() {
        return false;
    }

    void release() {
        gate.countDown();
    }

    /** Waits until {@code n} calls are in the step at once (guard the test with a timeout). */
    void awaitActive(int n) {
        while (active.get() < n) {
            Thread.onSpinWait();
        }
    }

    Set<Thread> threads() {
        return Set.copyOf(threads);
    }

    int calls() {
        return calls.get();
    }

    int active() {
        return active.get();
    }

    int maxActive() {
        return maxActive.get();
    }
}
