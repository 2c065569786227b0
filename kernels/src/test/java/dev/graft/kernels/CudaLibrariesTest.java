package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library search over fake trees (empty files named like the libraries), and the real probe here. */
class CudaLibrariesTest {

    @TempDir
    Path root;

    private final Map<String, String> env = new HashMap<>();

    private Path dir(String relative) throws IOException {
        return Files.createDirectories(root.resolve(relative));
    }

    private static void touch(Path dir, String... names) throws IOException {
        for (String name : names) {
            Files.createFile(dir.resolve(name));
        }
    }

    private static void cudnn(Path dir) throws IOException {
        touch(dir, CudaLibraries.CUDNN);
        for (String sub : CudaLibraries.CUDNN_SUBLIBRARIES) {
            touch(dir, sub);
        }
    }

    private LibrarySearchPath path(String property) {
        return LibrarySearchPath.of(env, property, root, root.resolve("home"));
    }

    /** A complete installation: driver in the system directory, cuDNN and cuBLAS 13 in pip's directories. */
    private void installEverything() throws IOException {
        touch(dir("usr/lib/x86_64-linux-gnu"), CudaLibraries.DRIVER);
        Path cudnn = dir("usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib");
        cudnn(cudnn);
        touch(dir("usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib"), "libcublas.so.13", "libcublasLt.so.13");
        env.put("LD_LIBRARY_PATH", cudnn.toString());
    }

    @Test
    void findsEverythingInStandardAndPipDirectories() throws IOException {
        installEverything();
        CudaLibraries.Available found = assertInstanceOf(CudaLibraries.Available.class, CudaLibraries.find(path(null)));
        assertEquals(root.resolve("usr/lib/x86_64-linux-gnu/libcuda.so.1"), found.driver());
        assertEquals(root.resolve("usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib/libcudnn.so.9"), found.cudnn());
        Path cu13 = root.resolve("usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib");
        assertEquals(List.of(new CudaLibraries.CublasFiles(13, cu13.resolve("libcublas.so.13"),
                cu13.resolve("libcublasLt.so.13"))), found.cublas());
    }

    @Test
    void searchOrderIsLdLibraryPathThenPropertyThenSystemThenToolkitThenPip() throws IOException {
        installEverything();
        Path toolkit = dir("usr/local/cuda-12.6/lib64");
        touch(toolkit, "libcublas.so.13", "libcublasLt.so.13", CudaLibraries.DRIVER);
        Path property = dir("opt/graft");
        touch(property, CudaLibraries.DRIVER);
        Path ld = dir("ld");
        touch(ld, "libcublas.so.13", "libcublasLt.so.13");
        env.put("LD_LIBRARY_PATH", ld + ":" + env.get("LD_LIBRARY_PATH"));

        CudaLibraries.Available found =
                assertInstanceOf(CudaLibraries.Available.class, CudaLibraries.find(path(property.toString())));
        assertEquals(ld.resolve("libcublas.so.13"), found.cublas().getFirst().cublas(), "LD_LIBRARY_PATH first");
        assertEquals(property.resolve(CudaLibraries.DRIVER), found.driver(), "graft.cuda.path before system");

        found = assertInstanceOf(CudaLibraries.Available.class, CudaLibraries.find(path(null)));
        assertEquals(root.resolve("usr/lib/x86_64-linux-gnu/libcuda.so.1"), found.driver(), "system before toolkit");

        Files.delete(ld.resolve("libcublas.so.13"));
        found = assertInstanceOf(CudaLibraries.Available.class, CudaLibraries.find(path(null)));
        assertEquals(toolkit.resolve("libcublas.so.13"), found.cublas().getFirst().cublas(), "toolkit before pip");
    }

    @Test
    void propertyTakesPrecedenceOverEnvironmentVariable() throws IOException {
        installEverything();
        Files.delete(root.resolve("usr/lib/x86_64-linux-gnu/libcuda.so.1"));
        Path fromEnv = dir("env");
        Path fromProperty = dir("property");
        touch(fromEnv, CudaLibraries.DRIVER);
        touch(fromProperty, CudaLibraries.DRIVER);
        env.put(LibrarySearchPath.ENVIRONMENT, fromEnv.toString());
        assertEquals(fromEnv.resolve(CudaLibraries.DRIVER),
                ((CudaLibraries.Available) CudaLibraries.find(path(null))).driver());
        assertEquals(fromProperty.resolve(CudaLibraries.DRIVER),
                ((CudaLibraries.Available) CudaLibraries.find(path(fromProperty.toString()))).driver());
    }

    @Test
    void prefersCublas13ButReportsBothMajors() throws IOException {
        installEverything();
        Path cu12 = dir("usr/local/cuda/lib64");
        touch(cu12, "libcublas.so.12", "libcublasLt.so.12");
        CudaLibraries.Available found = (CudaLibraries.Available) CudaLibraries.find(path(null));
        assertEquals(List.of(13, 12), found.cublas().stream().map(CudaLibraries.CublasFiles::major).toList());
    }

    @Test
    void missingDriverGivesOneMessageNamingItAndEveryDirectorySearched() throws IOException {
        installEverything();
        Files.delete(root.resolve("usr/lib/x86_64-linux-gnu/libcuda.so.1"));
        dir("usr/local/cuda-13.0/lib64");
        String message = assertInstanceOf(CudaLibraries.Unavailable.class, CudaLibraries.find(path(null))).message();
        assertTrue(message.startsWith("CUDA backend unavailable: libcuda.so.1 (the NVIDIA driver) not found."),
                message);
        for (String searched : List.of("LD_LIBRARY_PATH: " + env.get("LD_LIBRARY_PATH"), "GRAFT_CUDA_PATH: (unset)",
                root.resolve("usr/lib/x86_64-linux-gnu").toString(), root.resolve("usr/lib64") + " (absent)",
                root.resolve("usr/local/cuda-*/lib64") + " = " + root.resolve("usr/local/cuda-13.0/lib64"),
                root.resolve("usr/local/lib/python3*/dist-packages/nvidia/*/lib") + " = ",
                root.resolve("home/.local/lib/python3*/site-packages/nvidia/*/lib") + " (no match)")) {
            assertTrue(message.contains(searched), "message names " + searched + ":\n" + message);
        }
        assertEquals(1, message.lines().filter(l -> l.contains("not found")).count(), message);
    }

    @Test
    void everythingMissingIsNamedInTheSameMessage() {
        String message = ((CudaLibraries.Unavailable) CudaLibraries.find(path(null))).message();
        assertTrue(message.contains("libcuda.so.1 (the NVIDIA driver) not found; libcudnn.so.9 (cuDNN 9) not found;"
                + " libcublas.so.13 or libcublas.so.12 (cuBLAS) not found."), message);
    }

    @Test
    void cudnnWithoutASubLibraryIsRefusedNamingIt() throws IOException {
        installEverything();
        Path cudnn = root.resolve("usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib");
        Files.delete(cudnn.resolve("libcudnn_engines_precompiled.so.9"));
        String message = ((CudaLibraries.Unavailable) CudaLibraries.find(path(null))).message();
        assertTrue(message.contains("not its sub-libraries libcudnn_engines_precompiled.so.9 beside it"), message);
    }

    @Test
    void cudnnOutsideTheLoaderPathIsRefusedWithTheLdLibraryPathToSet() throws IOException {
        installEverything();
        env.remove("LD_LIBRARY_PATH");
        Path cudnn = root.resolve("usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib");
        String message = ((CudaLibraries.Unavailable) CudaLibraries.find(path(null))).message();
        assertTrue(message.contains("start the JVM with LD_LIBRARY_PATH=" + cudnn), message);
    }

    @Test
    void ldSoConfDirectoriesAreSearchedAndCountAsLoaderDirectories() throws IOException {
        installEverything();
        env.remove("LD_LIBRARY_PATH");
        Path cudnn = root.resolve("usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib");
        Path conf = dir("etc/ld.so.conf.d");
        Files.writeString(root.resolve("etc/ld.so.conf"), "# comment\ninclude ld.so.conf.d/*.conf\n");
        // Paths in the configuration are absolute on the machine, which here is the fake root.
        Files.writeString(conf.resolve("cudnn.conf"), "/" + root.relativize(cudnn) + "  # pip's cuDNN\n");
        LibrarySearchPath path = path(null);
        assertTrue(path.loaderSearches(cudnn));
        assertInstanceOf(CudaLibraries.Available.class, CudaLibraries.find(path));
    }

    @Test
    void cublasWithoutItsLtIsNamed() throws IOException {
        installEverything();
        Files.delete(root.resolve("usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib/libcublasLt.so.13"));
        String message = ((CudaLibraries.Unavailable) CudaLibraries.find(path(null))).message();
        assertTrue(message.contains("libcublas.so.13 found, but not libcublasLt.so.13 beside it"), message);
    }

    @Test
    void aDriverFileThatCannotLoadBecomesAMessageNotAnError() throws IOException {
        installEverything();
        CudaLibraries.Available found = (CudaLibraries.Available) CudaLibraries.find(path(null));
        String message = ((CudaLibraries.Unavailable) CudaLibraries.load(found, path(null))).message();
        assertTrue(message.startsWith("CUDA backend unavailable: loading " + found.driver() + " failed: "), message);
    }

    @Test
    void realProbeOnAMachineWithoutDriverNamesLibcuda() {
        LibrarySearchPath here = LibrarySearchPath.ofThisProcess();
        boolean driverPresent = here.directories().stream()
                .anyMatch(d -> Files.isRegularFile(d.resolve(CudaLibraries.DRIVER)));
        if (driverPresent) {
            System.out.println("CudaLibrariesTest: skipping the no-driver assertion: libcuda.so.1 is installed here");
        }
        Assumptions.assumeFalse(driverPresent, "libcuda.so.1 is installed on this machine");
        CudaLibraries.Probe probe = CudaLibraries.probe();
        String message = assertInstanceOf(CudaLibraries.Unavailable.class, probe).message();
        System.out.println("CudaLibrariesTest: the real probe says:\n" + message);
        assertTrue(message.contains("libcuda.so.1 (the NVIDIA driver) not found"), message);
        assertTrue(message.contains("LD_LIBRARY_PATH") && message.contains("/usr/lib/x86_64-linux-gnu"), message);
    }
}
