package dev.graft.engine;

/**
 * A scope in which operations record no autograd history (inference, optimizer updates, statistics):
 * {@code try (var _ = NoGrad.enter()) { … }}. Scopes nest; the mode is per thread.
 */
public final class NoGrad implements AutoCloseable {
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private boolean closed;

    private NoGrad() {
        DEPTH.get()[0]++;
    }

    public static NoGrad enter() {
        return new NoGrad();
    }

    public static boolean isGradEnabled() {
        return DEPTH.get()[0] == 0;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            DEPTH.get()[0]--;
        }
    }
}
