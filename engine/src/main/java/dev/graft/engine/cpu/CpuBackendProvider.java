package dev.graft.engine.cpu;

import dev.graft.engine.Backend;
import dev.graft.engine.BackendProvider;

/** Registers {@link CpuBackend} as {@code cpu}. */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Backend open() {
        return CpuBackend.INSTANCE;
    }
}
