package dev.graft.engine.fenced;

import dev.graft.engine.Backend;
import dev.graft.engine.DType;
import dev.graft.engine.Storage;

/**
 * The fenced backend's storage: a CPU storage behind a type the CPU kernels do not accept, so a tensor that
 * reaches the CPU backend from a fenced graph fails instead of silently working.
 */
final class FencedStorage implements Storage {
    final Storage inner;
    private final FencedBackend backend;

    FencedStorage(Storage inner, FencedBackend backend) {
        this.inner = inner;
        this.backend = backend;
    }

    @Override
    public DType dtype() {
        return inner.dtype();
    }

    @Override
    public int size() {
        return inner.size();
    }

    @Override
    public Backend backend() {
        return backend;
    }
}
