package dev.graft.engine;

/**
 * The backend the gradient and parity suites put their inputs on: the one named by the system property
 * {@code graft.test.backend} (default {@code cpu}). The build runs those suites a second time on the test-only
 * fenced backend, where any op that allocates on or reads from the CPU behind its inputs' backend fails.
 */
public final class TestBackend {
    public static final Backend BACKEND = Backends.get(System.getProperty("graft.test.backend", "cpu"));

    private TestBackend() {
    }

    /** {@code t} on the backend under test (no history: a constant input). */
    public static Tensor on(Tensor t) {
        return t.detach().to(BACKEND);
    }
}
