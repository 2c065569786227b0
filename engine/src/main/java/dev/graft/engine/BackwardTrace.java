package dev.graft.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * Records, on the current thread, the name of every autograd node that backward executes while the trace is
 * open: {@code try (var trace = BackwardTrace.start()) { loss.backward(); trace.nodes(); }}. Used to prove
 * that frozen parts of a network do no backward work, and to debug graphs.
 */
public final class BackwardTrace implements AutoCloseable {
    private static final ThreadLocal<BackwardTrace> ACTIVE = new ThreadLocal<>();
    private final List<String> nodes = new ArrayList<>();
    private final BackwardTrace outer;

    private BackwardTrace() {
        outer = ACTIVE.get();
        ACTIVE.set(this);
    }

    public static BackwardTrace start() {
        return new BackwardTrace();
    }

    /** Names of the executed nodes, in execution order. */
    public List<String> nodes() {
        return List.copyOf(nodes);
    }

    static void executed(String node) {
        for (BackwardTrace t = ACTIVE.get(); t != null; t = t.outer) {
            t.nodes.add(node);
        }
    }

    @Override
    public void close() {
        ACTIVE.set(outer);
    }
}
