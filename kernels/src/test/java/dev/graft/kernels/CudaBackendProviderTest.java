package dev.graft.kernels;

import dev.graft.engine.BackendUnavailableException;
import dev.graft.engine.Backends;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The backend registry finds the CUDA provider; where no driver is installed it explains, every time, why it cannot run. */
class CudaBackendProviderTest {
    @Test
    void theRegistryListsCuda() {
        assertTrue(Backends.names().contains("cuda"), Backends.names().toString());
    }

    @Test
    void withoutADriverOpeningNamesTheMissingLibraryAndThePathsSearched() {
        boolean missing = CudaLibraries.probe() instanceof CudaLibraries.Unavailable;
        if (!missing) {
            System.out.println("CudaBackendProviderTest: a CUDA driver is installed here; the no-driver message is not"
                    + " checked");
        }
        assumeTrue(missing);
        for (int attempt = 0; attempt < 2; attempt++) {
            var e = assertThrows(BackendUnavailableException.class, () -> Backends.get("cuda"));
            assertTrue(e.getMessage().contains("libcuda.so.1"), e.getMessage());
            assertTrue(e.getMessage().contains("Searched"), e.getMessage());
        }
    }
}
