package dev.graft.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import jcuda.driver.JCudaDriver;
import jcuda.jcudnn.JCudnn;

/**
 * Finds and loads the native libraries the CUDA backend needs: the driver ({@code libcuda.so.1}), cuDNN 9
 * ({@code libcudnn.so.9} with the sub-libraries it loads by itself) and cuBLAS ({@code libcublas.so.13} or
 * {@code .12} with its {@code libcublasLt}). The search looks at files only, so a machine without them gets one
 * message naming what is missing and every directory searched, without JCuda's natives ever loading. Only then
 * are the libraries loaded (each from the exact file found) and the driver initialised; a failure there becomes
 * the same kind of message instead of an UnsatisfiedLinkError.
 */
public final class CudaLibraries {

    static final String DRIVER = "libcuda.so.1";
    static final String CUDNN = "libcudnn.so.9";
    /**
     * cuDNN 9's sub-libraries. libcudnn.so.9 is a shim that loads them on first use, by name, and aborts the
     * whole process when one cannot be loaded; NVIDIA's default configuration needs all of them.
     */
    static final List<String> CUDNN_SUBLIBRARIES = List.of("libcudnn_graph.so.9", "libcudnn_ops.so.9",
            "libcudnn_cnn.so.9", "libcudnn_adv.so.9", "libcudnn_engines_precompiled.so.9",
            "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9");
    /** cuBLAS majors in order of preference for the search: CUDA 13's first (the GPU machine has only it). */
    static final List<Integer> CUBLAS_MAJORS = List.of(13, 12);
    private static final long CUDNN_9 = 90000;

    private static Probe probed;

    private CudaLibraries() {
    }

    /** The outcome of a probe: usable, with the files found, or not, with the reason. */
    public sealed interface Probe permits Available, Unavailable {
    }

    /**
     * Every library was found; after {@link #probe()} also loaded, with the driver initialised.
     *
     * @param cublas one entry per cuBLAS major found, in {@link #CUBLAS_MAJORS} order
     */
    public record Available(Path driver, Path cudnn, List<CublasFiles> cublas) implements Probe {

        public Available {
            cublas = List.copyOf(cublas);
        }

        public String describe() {
            return "driver " + driver + ", cuDNN " + cudnn + ", cuBLAS "
                    + cublas.stream().map(c -> c.cublas().toString()).collect(Collectors.joining(" and "));
        }
    }

    /** @param message what is missing or failed, and every directory searched; meant to be shown as it is */
    public record Unavailable(String message) implements Probe {
    }

    /** A cuBLAS library and the cuBLASLt it needs (same major, same directory). */
    public record CublasFiles(int major, Path cublas, Path cublasLt) {
    }

    /**
     * Searches this process's paths, then loads and initialises what was found; the result is computed once,
     * since JCuda's native classes cannot be initialised a second time after a failure.
     */
    public static synchronized Probe probe() {
        if (probed == null) {
            LibrarySearchPath path = LibrarySearchPath.ofThisProcess();
            probed = switch (find(path)) {
                case Available found -> load(found, path);
                case Unavailable missing -> missing;
            };
        }
        return probed;
    }

    /** Looks for the files only; loads nothing. */
    static Probe find(LibrarySearchPath path) {
        List<Path> directories = path.directories();
        List<String> problems = new ArrayList<>();

        Path driver = first(directories, DRIVER);
        if (driver == null) {
            problems.add(DRIVER + " (the NVIDIA driver) not found");
        }
        Path cudnn = first(directories, CUDNN);
        if (cudnn == null) {
            problems.add(CUDNN + " (cuDNN 9) not found");
        } else {
            Path dir = cudnn.getParent();
            List<String> absent = CUDNN_SUBLIBRARIES.stream().filter(s -> !Files.isRegularFile(dir.resolve(s))).toList();
            if (!absent.isEmpty()) {
                problems.add(cudnn + " found, but not its sub-libraries " + String.join(", ", absent)
                        + " beside it (cuDNN 9 loads them from there and aborts the process without them)");
            } else if (!path.loaderSearches(dir)) {
                problems.add(cudnn + " found, but the dynamic loader does not search " + dir
                        + ", and cuDNN 9 loads its sub-libraries from there by name (aborting the process when it"
                        + " cannot): start the JVM with LD_LIBRARY_PATH=" + dir + " (or add it to LD_LIBRARY_PATH)");
            }
        }
        List<CublasFiles> cublas = new ArrayList<>();
        List<String> incomplete = new ArrayList<>();
        for (int major : CUBLAS_MAJORS) {
            Path library = first(directories, "libcublas.so." + major);
            if (library != null) {
                Path lt = library.resolveSibling("libcublasLt.so." + major);
                if (Files.isRegularFile(lt)) {
                    cublas.add(new CublasFiles(major, library, lt));
                } else {
                    incomplete.add(library + " found, but not libcublasLt.so." + major + " beside it");
                }
            }
        }
        if (cublas.isEmpty()) {
            problems.add(incomplete.isEmpty()
                    ? CUBLAS_MAJORS.stream().map(m -> "libcublas.so." + m).collect(Collectors.joining(" or "))
                            + " (cuBLAS) not found"
                    : String.join("; ", incomplete));
        }
        if (problems.isEmpty()) {
            return new Available(driver, cudnn, cublas);
        }
        return unavailable(String.join("; ", problems), path);
    }

    /**
     * Loads the driver and cuDNN from the files found (later loads by name, such as JCuda's natives needing
     * libcuda.so.1, then resolve to them), initialises the driver and checks that a device and cuDNN 9 answer.
     */
    static Probe load(Available found, LibrarySearchPath path) {
        String step = "loading " + found.driver();
        try {
            SymbolLookup.libraryLookup(found.driver(), Arena.global());
            step = "loading JCuda's driver binding (libJCudaDriver, needs " + DRIVER + ")";
            JCudaDriver.setExceptionsEnabled(false);
            step = "cuInit(0) with " + found.driver();
            int status = JCudaDriver.cuInit(0);
            if (status != 0) {
                return unavailable(describe(step, CudaException.Library.DRIVER, status), path);
            }
            int[] count = new int[1];
            step = "cuDeviceGetCount";
            status = JCudaDriver.cuDeviceGetCount(count);
            if (status != 0) {
                return unavailable(describe(step, CudaException.Library.DRIVER, status), path);
            }
            if (count[0] == 0) {
                return unavailable("the driver " + found.driver() + " reports no CUDA device", path);
            }
            step = "loading " + found.cudnn();
            SymbolLookup.libraryLookup(found.cudnn(), Arena.global());
            step = "loading JCuda's cuDNN binding (libJCudnn, needs " + CUDNN + ")";
            JCudnn.setExceptionsEnabled(false);
            long version = JCudnn.cudnnGetVersion();
            if (version < CUDNN_9) {
                return unavailable(found.cudnn() + " reports cuDNN version " + version + "; graft needs cuDNN 9", path);
            }
            return found;
        } catch (LinkageError | RuntimeException e) {
            return unavailable(step + " failed: " + e, path);
        }
    }

    private static String describe(String call, CudaException.Library library, int status) {
        return new CudaException(library, status, call).getMessage();
    }

    private static Unavailable unavailable(String problem, LibrarySearchPath path) {
        return new Unavailable("CUDA backend unavailable: " + problem + ". Searched, in order:\n" + path.describe());
    }

    private static Path first(List<Path> directories, String name) {
        for (Path dir : directories) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
