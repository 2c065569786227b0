package dev.graft.engine;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry of backends: every {@link BackendProvider} on the class path, by name. A backend is opened on
 * first use and kept; one that cannot run here fails with its provider's message on every request. The CPU
 * backend is always present; it is where tensors made from Java arrays live.
 */
public final class Backends {
    private static final Map<String, BackendProvider> PROVIDERS = discover();
    private static final Map<String, Object> OPENED = new ConcurrentHashMap<>();

    private Backends() {
    }

    /** The CPU backend. */
    public static Backend cpu() {
        return Cpu.INSTANCE;
    }

    /**
     * The backend named {@code name}, opened on first use.
     *
     * @throws IllegalArgumentException when no provider has that name (the message lists those that exist)
     * @throws BackendUnavailableException when the provider cannot run on this machine
     */
    public static Backend get(String name) {
        BackendProvider provider = PROVIDERS.get(name);
        if (provider == null) {
            throw new IllegalArgumentException("unknown backend '" + name + "'; installed: "
                    + String.join(", ", PROVIDERS.keySet()));
        }
        Object opened = OPENED.computeIfAbsent(name, n -> {
            try {
                return provider.open();
            } catch (BackendUnavailableException e) {
                return e;
            }
        });
        if (opened instanceof BackendUnavailableException e) {
            throw new BackendUnavailableException(e.getMessage(), e);
        }
        return (Backend) opened;
    }

    /** Names of the installed providers, sorted (installed does not mean runnable: see {@link #get}). */
    public static List<String> names() {
        return List.copyOf(PROVIDERS.keySet());
    }

    private static Map<String, BackendProvider> discover() {
        Map<String, BackendProvider> found = new TreeMap<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
            BackendProvider clash = found.putIfAbsent(p.name(), p);
            if (clash != null) {
                throw new IllegalStateException("backends: two providers named '" + p.name() + "': "
                        + clash.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        if (!found.containsKey("cpu")) {
            throw new IllegalStateException("backends: no 'cpu' provider on the class path (META-INF/services/"
                    + BackendProvider.class.getName() + " of graft-engine is missing; a shaded jar must merge service files)");
        }
        return found;
    }

    /** Holder so that the CPU backend is opened once, on first use. */
    private static final class Cpu {
        static final Backend INSTANCE = get("cpu");
    }
}
