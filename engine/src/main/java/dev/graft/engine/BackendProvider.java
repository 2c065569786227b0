package dev.graft.engine;

/**
 * Registers a {@link Backend} with {@link Backends} through {@link java.util.ServiceLoader}: a module that brings
 * a backend lists its provider in {@code META-INF/services/dev.graft.engine.BackendProvider}. Providers must be
 * cheap to construct; the device is touched only by {@link #open()}.
 */
public interface BackendProvider {
    /** The name users select the backend by; unique among providers. */
    String name();

    /**
     * Opens the backend. Called at most once per JVM; throws {@link BackendUnavailableException} with one message
     * naming what is missing (driver, library, the paths searched) when the backend cannot run here.
     */
    Backend open();
}
