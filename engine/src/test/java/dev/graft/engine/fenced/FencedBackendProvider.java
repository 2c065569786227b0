package dev.graft.engine.fenced;

import dev.graft.engine.Backend;
import dev.graft.engine.BackendProvider;

/** Registers the test-only {@link FencedBackend} as {@code fenced} (through the test class path's service file). */
public final class FencedBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return FencedBackend.NAME;
    }

    @Override
    public Backend open() {
        return new FencedBackend();
    }
}
