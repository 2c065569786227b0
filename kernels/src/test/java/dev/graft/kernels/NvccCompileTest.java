package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When nvcc is on PATH: one kernel source still compiles for sm_75 with the fatbin's flags, warnings as errors. */
class NvccCompileTest {
    private static final Path CUDA = Path.of("src/main/cuda").toAbsolutePath();
    private static Path nvcc;

    @BeforeAll
    static void findNvcc() {
        Optional<Path> found = onPath("nvcc");
        if (found.isEmpty()) {
            System.out.println("NvccCompileTest skipped: nvcc is not on PATH (" + System.getenv("PATH") + ")");
        }
        Assumptions.assumeTrue(found.isPresent(), "nvcc is not on PATH");
        nvcc = found.get();
    }

    @Test
    void aKernelSourceCompilesForSm75WithWarningsAsErrors(@TempDir Path out) throws Exception {
        Result r = compile(CUDA.resolve("cross_entropy.cu"), out);
        assertEquals(0, r.exit(), r.output());
        assertTrue(Files.size(out.resolve("out.cubin")) > 0);
    }

    @Test
    void aWarningFailsTheCompile(@TempDir Path out) throws Exception {
        Path bad = out.resolve("unused.cu");
        Files.writeString(bad, "#include \"" + CUDA.resolve("graft_common.cuh") + "\"\n"
                + "extern \"C\" __global__ void graft_unused(float* y) { int unused; y[0] = 1.0f; }\n");
        Result r = compile(bad, out);
        assertNotEquals(0, r.exit(), "an unused variable must fail under -Werror all-warnings: " + r.output());
        assertTrue(r.output().contains("never referenced"), r.output());
    }

    private record Result(int exit, String output) {
    }

    private static Result compile(Path source, Path out) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(nvcc.toString(), "--std=c++17", "-O3", "-Werror", "all-warnings",
                "-arch=sm_75", "-cubin", "-o", out.resolve("out.cubin").toString(), source.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("nvcc did not finish within 5 minutes: " + cmd);
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static Optional<Path> onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
