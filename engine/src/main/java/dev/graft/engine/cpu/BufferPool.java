package dev.graft.engine.cpu;

import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recycles the activation-sized float arrays of F32 tensors. A training step allocates the same sizes in the same
 * order every time; allocating them fresh costs the JVM a zeroing pass and, worse, young collections that copy
 * every activation still held by the autograd graph. Here an array goes back to a free list, by exact size, once
 * the {@link CpuStorage} that owned it has been found unreachable (a {@link Cleaner} action holding only the array),
 * and the next request of that size takes it.
 *
 * <p>Safety rests on one rule: a kernel may use a pooled array only while it holds the storage (or a tensor over
 * it), which {@link CpuBackend} guarantees by fencing its arguments until each kernel returns. Arrays wrapped from
 * the caller ({@code Tensor.of(float[])}) are never pooled. Small arrays are not tracked (allocation is cheap for
 * them) and the free lists together never hold more than a quarter of the maximum heap.
 */
final class BufferPool {
    /** Arrays below 1 MiB are left to the allocator. */
    static final int MIN_FLOATS = 1 << 18;
    private static final long CAPACITY_FLOATS = Runtime.getRuntime().maxMemory() / 4 / Float.BYTES;
    private static final ConcurrentHashMap<Integer, ConcurrentLinkedQueue<float[]>> FREE = new ConcurrentHashMap<>();
    private static final AtomicLong FREE_FLOATS = new AtomicLong();
    private static final Cleaner CLEANER = Cleaner.create(runnable -> {
        Thread t = new Thread(runnable, "graft-buffer-pool");
        t.setDaemon(true);
        return t;
    });

    private BufferPool() {
    }

    /** A zeroed array of exactly {@code size} floats. */
    static float[] zeroed(int size) {
        float[] a = take(size);
        if (a == null) {
            return new float[size];
        }
        Arrays.fill(a, 0f);
        return a;
    }

    /** An array of exactly {@code size} floats with arbitrary contents, for kernels that write every element. */
    static float[] uninitialized(int size) {
        float[] a = take(size);
        return a != null ? a : new float[size];
    }

    /** A storage over {@code array} (from this pool's methods) that returns it to the pool once unreachable. */
    static CpuStorage own(float[] array) {
        CpuStorage s = CpuStorage.of(array);
        if (array.length >= MIN_FLOATS) {
            CLEANER.register(s, new GiveBack(array));
        }
        return s;
    }

    /** Floats currently waiting in the free lists (for tests and diagnostics). */
    static long freeFloats() {
        return FREE_FLOATS.get();
    }

    private static float[] take(int size) {
        if (size < MIN_FLOATS) {
            return null;
        }
        ConcurrentLinkedQueue<float[]> q = FREE.get(size);
        float[] a = q == null ? null : q.poll();
        if (a != null) {
            FREE_FLOATS.addAndGet(-size);
        }
        return a;
    }

    /** The cleaning action: must not refer to the storage, or the storage would never become unreachable. */
    private record GiveBack(float[] array) implements Runnable {
        @Override
        public void run() {
            if (FREE_FLOATS.addAndGet(array.length) > CAPACITY_FLOATS) {
                FREE_FLOATS.addAndGet(-array.length);
                return;
            }
            FREE.computeIfAbsent(array.length, k -> new ConcurrentLinkedQueue<>()).add(array);
        }
    }
}
