package dev.graft.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Opens the {@link Blas} binding that works here: JCublas2 where CUDA 12's libcublas.so.12 was found and its
 * natives load, else the FFM binding over the newest cuBLAS found. The choice and the reason for it are
 * reported, so a log shows which cuBLAS a run used.
 */
public final class BlasLoader {

    /** The binding opened, and how it was chosen (including why earlier candidates were passed over). */
    public record Choice(Blas blas, String description) {
    }

    /** A binding to try: what it is, and how to open it. */
    record Candidate(String name, Supplier<Blas> open) {
    }

    private BlasLoader() {
    }

    /** Opens a binding over the cuBLAS files {@link CudaLibraries} found. */
    public static Choice open(CudaLibraries.Available libraries) {
        return first(candidates(libraries, JCublasBlas::open, ForeignBlas::open));
    }

    /** JCublas2 over cuBLAS 12 if found, then FFM over the first cuBLAS found (13 before 12). */
    static List<Candidate> candidates(CudaLibraries.Available libraries,
            Function<CudaLibraries.CublasFiles, Blas> jcublas, Function<CudaLibraries.CublasFiles, Blas> foreign) {
        List<Candidate> candidates = new ArrayList<>();
        for (CudaLibraries.CublasFiles files : libraries.cublas()) {
            if (files.major() == 12) {
                candidates.add(new Candidate("JCublas2 over " + files.cublas(), () -> jcublas.apply(files)));
            }
        }
        if (!libraries.cublas().isEmpty()) {
            CudaLibraries.CublasFiles newest = libraries.cublas().getFirst();
            candidates.add(new Candidate("FFM binding over " + newest.cublas(), () -> foreign.apply(newest)));
        }
        return candidates;
    }

    /** The first candidate that opens; native-loading failures move on to the next one. */
    static Choice first(List<Candidate> candidates) {
        List<String> failures = new ArrayList<>();
        for (Candidate candidate : candidates) {
            try {
                Blas blas = candidate.open().get();
                String why = failures.isEmpty() ? "" : " (" + String.join("; ", failures) + ")";
                return new Choice(blas, "cuBLAS: " + blas.description() + why);
            } catch (LinkageError | RuntimeException e) {
                failures.add(candidate.name() + " failed: " + e);
            }
        }
        throw new IllegalStateException(candidates.isEmpty() ? "no cuBLAS library to open"
                : "no cuBLAS binding could be opened: " + String.join("; ", failures));
    }
}
