package dev.graft.engine.cpu;

import dev.graft.engine.Backend;
import dev.graft.engine.Tensor;

import java.lang.ref.WeakReference;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * Reuse of the CPU backend's arrays from one training step to the next, so that a training loop stops allocating
 * activation-sized arrays once its first step has run.
 *
 * <p>Inside {@link #step}, every array the backend allocates on the calling thread (activations, gradients, the
 * kernels' outputs) is lent from this memory. Gradients that backward has consumed come back at once and serve
 * the rest of the pass, so a step holds little more than its activations. When the step closes, the arrays of the
 * tensors named as survivors (typically the parameters, their gradients and the modules' buffers) are given up to
 * the heap, and every other array goes back to the pool for the next step, which takes arrays of the same lengths
 * in the same order.
 *
 * <p>Why the loop says when a step ends instead of the collector saying when an array died: a pool fed by
 * reference processing learns of a death only at the next collection, and while it holds the arrays the collector
 * sees no reason to run, so it starved (a Cleaner-based pool made training 28% slower, bench/RESULTS.md). Here
 * the weak references only let the collector take what dies mid-step; reuse follows the loop's word.
 *
 * <p>Budget: a step may keep at most a third of the maximum heap for the next (pool included). A step that
 * allocates more, such as a large batch through a deep network, turns the memory off for good and leaves its
 * arrays to the collector, as without a step.
 *
 * <p>Safety: a tensor made inside a step that outlives it without being named a survivor has its storage marked
 * recycled, and any later use fails with an {@link IllegalStateException} saying so, instead of reading an array
 * that the next step has overwritten. Read what must outlive the step (a loss value, predictions) before it closes.
 * Storages of other backends are untouched. Arrays made on other threads (the kernels' workers) are not lent.
 * One loop uses one instance: it is not safe for concurrent steps on several threads.
 */
public final class StepMemory {
    private static final ThreadLocal<StepMemory> ACTIVE = new ThreadLocal<>();

    /**
     * Free arrays by {@link #key}, reused first-in first-out: what the last step gave back. Held weakly, like
     * everything here, so that the pool never keeps memory the heap needs: an array the collector takes is
     * simply allocated again.
     */
    private Map<Long, ArrayDeque<WeakReference<Object>>> free = new HashMap<>();
    /**
     * Arrays lent in the open step, each with the storages made over it. Weak keys (arrays compare by identity):
     * an activation that dies mid-step may be collected, as it would be without a step, so a step never holds
     * more than the heap could.
     */
    private final Map<Object, List<WeakReference<CpuStorage>>> lent = new WeakHashMap<>();
    /** Arrays given back during the open step (autograd's spent gradients), free for the rest of it. */
    private final Set<Object> released = Collections.newSetFromMap(new WeakHashMap<>());
    /** The most bytes of arrays a step may keep for the next, pool included. */
    private final long budget;
    /** Bytes of the arrays pooled by the last close plus those made since. */
    private long footprint;
    /** Set for good once a step outgrew the budget: its arrays are left to the heap. */
    private boolean off;
    private Thread owner;
    private long lentBytes;
    private long reusedBytes;

    /** A memory whose steps may keep up to a third of the maximum heap for the next. */
    public StepMemory() {
        this(Runtime.getRuntime().maxMemory() / 3);
    }

    StepMemory(long budget) {
        this.budget = budget;
    }

    /**
     * Opens a step on the calling thread, which must close it. Only a step computing on the CPU backend borrows:
     * for any other backend the step does nothing, since those manage their own memory.
     *
     * @param backend   where the step computes
     * @param survivors called at close: the tensors whose storages must live on after the step
     * @throws IllegalStateException when a step of any StepMemory is already open on this thread
     */
    public Step step(Backend backend, Supplier<? extends Iterable<Tensor>> survivors) {
        if (backend == null || survivors == null) {
            throw new IllegalArgumentException("step memory: backend and survivors must not be null, got " + backend
                    + " and " + survivors);
        }
        if (ACTIVE.get() != null) {
            throw new IllegalStateException("step memory: a step is already open on thread "
                    + Thread.currentThread().getName() + "; close it first");
        }
        lentBytes = 0;
        reusedBytes = 0;
        if (backend != CpuBackend.INSTANCE || off) {
            return new Step(null);
        }
        owner = Thread.currentThread();
        ACTIVE.set(this);
        return new Step(survivors);
    }

    /** An open step: closing it recycles what it allocated, except the survivors. */
    public final class Step implements AutoCloseable {
        private final Supplier<? extends Iterable<Tensor>> survivors;
        private boolean closed;

        private Step(Supplier<? extends Iterable<Tensor>> survivors) {
            this.survivors = survivors;
        }

        @Override
        public void close() {
            if (closed || survivors == null) {
                return;
            }
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("step memory: a step opened on thread " + owner.getName()
                        + " must be closed there, not on " + Thread.currentThread().getName());
            }
            closed = true;
            ACTIVE.remove();
            try {
                recycle(kept(survivors.get()));
            } finally {
                lent.clear();
                released.clear();
            }
        }
    }

    /** Bytes of arrays the last (or open) step took from this memory, new or reused. */
    long lentBytes() {
        return lentBytes;
    }

    /** Of {@link #lentBytes()}, the bytes that came from an earlier step instead of the heap. */
    long reusedBytes() {
        return reusedBytes;
    }

    private static Set<Object> kept(Iterable<Tensor> survivors) {
        Set<Object> arrays = Collections.newSetFromMap(new IdentityHashMap<>());
        if (survivors != null) {
            for (Tensor t : survivors) {
                if (t != null && t.storage() instanceof CpuStorage s) {
                    arrays.add(s.array());
                }
            }
        }
        return arrays;
    }

    /**
     * The arrays of this step that no survivor holds become the pool; arrays the step did not take are dropped.
     * A step that outgrew the budget turns the memory off instead: its arrays, about everything the step
     * allocated, would then compete with the live tensors for the heap, and the collector would have to work
     * around them (measured: full collections in a ResNet-50 step of 32 images on a 6 GB heap).
     */
    private void recycle(Set<Object> kept) {
        if (footprint > budget) {
            off = true;
            free = new HashMap<>();
            return;
        }
        footprint = 0;
        Map<Long, ArrayDeque<WeakReference<Object>>> next = new HashMap<>();
        for (Object array : released) {
            if (!lent.containsKey(array)) {
                pool(next, array);
            }
        }
        lent.forEach((array, storages) -> {
            if (kept.contains(array)) {
                return;
            }
            for (WeakReference<CpuStorage> ref : storages) {
                CpuStorage s = ref.get();
                if (s != null) {
                    s.markRecycled();
                }
            }
            pool(next, array);
        });
        free = next;
    }

    private void pool(Map<Long, ArrayDeque<WeakReference<Object>>> free, Object array) {
        free.computeIfAbsent(key(array), k -> new ArrayDeque<>()).add(new WeakReference<>(array));
        footprint += bytes(array);
    }

    // ---------------------------------------------------------------- used by the backend

    /** A zero-filled array, lent by the step open on this thread if there is one. */
    static float[] floats(int n) {
        return (float[]) borrow(Kind.FLOAT, n);
    }

    static double[] doubles(int n) {
        return (double[]) borrow(Kind.DOUBLE, n);
    }

    static long[] longs(int n) {
        return (long[]) borrow(Kind.LONG, n);
    }

    static int[] ints(int n) {
        return (int[]) borrow(Kind.INT, n);
    }

    /** Records that {@code storage} was made over {@code array}, if the open step lent it. */
    static void madeOver(Object array, CpuStorage storage) {
        StepMemory m = ACTIVE.get();
        if (m != null) {
            List<WeakReference<CpuStorage>> storages = m.lent.get(array);
            if (storages != null) {
                storages.add(new WeakReference<>(storage));
            }
        }
    }

    /**
     * Takes back, for the rest of the open step, the array of a storage its caller will not use again (see
     * {@code MemoryOps.release}); only an array this step lent with no other storage made over it.
     */
    static void release(CpuStorage storage) {
        StepMemory m = ACTIVE.get();
        Object array = storage.array();
        List<WeakReference<CpuStorage>> storages = m == null ? null : m.lent.get(array);
        if (storages == null || storages.size() != 1 || storages.getFirst().get() != storage) {
            return;
        }
        storage.markRecycled();
        m.giveBackLent(array);
    }

    /** Takes back, for the rest of the open step, a kernel's scratch array that no storage was made over. */
    static void giveBack(Object array) {
        StepMemory m = ACTIVE.get();
        List<WeakReference<CpuStorage>> storages = m == null ? null : m.lent.get(array);
        if (storages != null && storages.isEmpty()) {
            m.giveBackLent(array);
        }
    }

    private void giveBackLent(Object array) {
        lent.remove(array);
        free.computeIfAbsent(key(array), k -> new ArrayDeque<>()).addFirst(new WeakReference<>(array));
        released.add(array);
    }

    private static Object borrow(Kind kind, int n) {
        StepMemory m = ACTIVE.get();
        if (m == null) {
            return kind.make(n);
        }
        Object a = m.take(key(kind, n));
        long bytes = (long) n * kind.bytes;
        if (a == null) {
            a = kind.make(n);
            m.footprint += bytes;
            if (m.footprint > m.budget) {
                return a; // not lent: the step is over budget and will turn the memory off
            }
        } else {
            kind.zero(a, n);
            m.reusedBytes += bytes;
        }
        m.lent.put(a, new ArrayList<>(1));
        m.lentBytes += bytes;
        return a;
    }

    /** A free array of this key that the collector has not taken, or null. */
    private Object take(long key) {
        ArrayDeque<WeakReference<Object>> q = free.get(key);
        while (q != null && !q.isEmpty()) {
            Object a = q.poll().get();
            if (a != null) {
                return a;
            }
        }
        return null;
    }

    private static long bytes(Object array) {
        long key = key(array);
        return (key >>> 2) * KINDS[(int) (key & 3)].bytes;
    }

    private static long key(Object array) {
        return switch (array) {
            case float[] f -> key(Kind.FLOAT, f.length);
            case double[] d -> key(Kind.DOUBLE, d.length);
            case long[] l -> key(Kind.LONG, l.length);
            case int[] i -> key(Kind.INT, i.length);
            default -> throw new IllegalStateException("step memory: not an array it lends: " + array);
        };
    }

    private static long key(Kind kind, int n) {
        return (long) n << 2 | kind.ordinal();
    }

    private static final Kind[] KINDS = Kind.values();

    /** The element types lent: the backend's three dtypes, and int for kernels' index tables. */
    private enum Kind {
        FLOAT(4) {
            Object make(int n) {
                return new float[n];
            }

            void zero(Object a, int from, int to) {
                Arrays.fill((float[]) a, from, to, 0f);
            }
        },
        DOUBLE(8) {
            Object make(int n) {
                return new double[n];
            }

            void zero(Object a, int from, int to) {
                Arrays.fill((double[]) a, from, to, 0d);
            }
        },
        LONG(8) {
            Object make(int n) {
                return new long[n];
            }

            void zero(Object a, int from, int to) {
                Arrays.fill((long[]) a, from, to, 0L);
            }
        },
        INT(4) {
            Object make(int n) {
                return new int[n];
            }

            void zero(Object a, int from, int to) {
                Arrays.fill((int[]) a, from, to, 0);
            }
        };

        /** Clearing an activation is memory-bound work of the step's thread: the kernels' threads share it. */
        private static final int ZERO_GRAIN = 1 << 17;

        final int bytes;

        Kind(int bytes) {
            this.bytes = bytes;
        }

        abstract Object make(int n);

        abstract void zero(Object a, int from, int to);

        void zero(Object a, int n) {
            Parallel.forRange(n, ZERO_GRAIN, (from, to) -> zero(a, from, to));
        }
    }
}
