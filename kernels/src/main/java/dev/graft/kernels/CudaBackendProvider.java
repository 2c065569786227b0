package dev.graft.kernels;

import dev.graft.engine.Backend;
import dev.graft.engine.BackendProvider;
import dev.graft.engine.BackendUnavailableException;

/**
 * Registers the CUDA backend as {@code cuda}. Opening it probes for the driver, cuDNN 9 and cuBLAS first
 * ({@link CudaLibraries}), so a machine without them gets one message naming what is missing and where it
 * looked, and JCuda's natives are never loaded there.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return CudaBackend.NAME;
    }

    @Override
    public Backend open() {
        return switch (CudaLibraries.probe()) {
            case CudaLibraries.Unavailable missing -> throw new BackendUnavailableException(missing.message());
            case CudaLibraries.Available found -> {
                try {
                    yield CudaDevice.open(found).backend();
                } catch (CudaException e) {
                    throw new BackendUnavailableException("CUDA backend: the libraries loaded (" + found.describe()
                            + ") but the device could not be opened: " + e.getMessage(), e);
                }
            }
        };
    }
}
