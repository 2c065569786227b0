package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.DType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelImageTest {
    /** Surefire runs in the module directory. */
    private static final Path MODULE = Path.of("").toAbsolutePath();

    private static KernelImage.Manifest manifest() throws IOException {
        try (InputStream in = KernelImage.class.getResourceAsStream(KernelImage.MANIFEST_RESOURCE)) {
            return KernelImage.Manifest.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void recordedSourceHashMatchesTheSources() throws IOException {
        assertEquals(manifest().sourcesSha256(), KernelImage.sourceHash(MODULE),
                "the CUDA sources changed since the fatbin was built: rerun " + KernelImage.BUILD_SCRIPT);
    }

    @Test
    void loadingFromTheSourceTreeChecksTheSources() {
        assertEquals(MODULE, KernelImage.sourceModule().orElseThrow().toAbsolutePath());
        byte[] fatbin = assertDoesNotThrow(KernelImage::fatbin);
        assertTrue(fatbin.length > 0 && fatbin.length < 5 << 20, "fatbin of " + fatbin.length + " bytes");
    }

    @Test
    void anEditedSourceWithoutRebuildIsRefused(@TempDir Path copy) throws IOException {
        copySources(MODULE, copy);
        KernelImage.Manifest recorded = manifest();
        assertDoesNotThrow(() -> KernelImage.checkSources(copy, recorded), "an unchanged copy passes");

        Files.writeString(copy.resolve("src/main/cuda/reduce.cu"), "\n// edited\n", StandardOpenOption.APPEND);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KernelImage.checkSources(copy, recorded));
        assertTrue(e.getMessage().contains("stale") && e.getMessage().contains(KernelImage.BUILD_SCRIPT), e.getMessage());
    }

    @Test
    void aNewSourceFileChangesTheHash(@TempDir Path copy) throws IOException {
        copySources(MODULE, copy);
        String before = KernelImage.sourceHash(copy);
        Files.writeString(copy.resolve("src/main/cuda/extra.cuh"), "");
        assertTrue(!before.equals(KernelImage.sourceHash(copy)), "an empty new header changes the hash");
    }

    @Test
    void hashFollowsTheDocumentedDefinition(@TempDir Path module) throws Exception {
        Files.createDirectories(module.resolve("src/main/cuda/sub"));
        Files.writeString(module.resolve("build-fatbin.sh"), "s");
        Files.writeString(module.resolve("src/main/cuda/b.cu"), "bb");
        Files.writeString(module.resolve("src/main/cuda/sub/a.cuh"), "");
        Files.writeString(module.resolve("src/main/cuda/README.md"), "not hashed");
        String stream = "build-fatbin.sh\n1\ns" + "src/main/cuda/b.cu\n2\nbb" + "src/main/cuda/sub/a.cuh\n0\n";
        assertEquals(KernelImage.sha256(stream.getBytes(StandardCharsets.US_ASCII)), KernelImage.sourceHash(module));
    }

    @Test
    void aReplacedFatbinIsRefused() throws IOException {
        byte[] fatbin = KernelImage.fatbin();
        KernelImage.Manifest recorded = manifest();
        assertDoesNotThrow(() -> KernelImage.checkImage(fatbin, recorded));
        fatbin[fatbin.length - 1] ^= 1;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KernelImage.checkImage(fatbin, recorded));
        assertTrue(e.getMessage().contains(KernelImage.BUILD_SCRIPT), e.getMessage());
    }

    @Test
    void manifestNeedsAllItsLines() throws IOException {
        KernelImage.Manifest m = manifest();
        assertTrue(m.nvcc().contains("release"), m.nvcc());
        assertEquals(64, m.sourcesSha256().length());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> KernelImage.Manifest.parse("sources-sha256 00\nnvcc x\n"));
        assertTrue(e.getMessage().contains("fatbin-sha256") && e.getMessage().contains(KernelImage.BUILD_SCRIPT),
                e.getMessage());
    }

    @Test
    void everyCopyAndFillEntryIsPromised() {
        for (DType src : DType.values()) {
            assertTrue(KernelImage.ENTRIES.contains(KernelImage.fill(src)), KernelImage.fill(src));
            for (DType dst : DType.values()) {
                assertTrue(KernelImage.ENTRIES.contains(KernelImage.copy(src, dst)), KernelImage.copy(src, dst));
            }
        }
        assertEquals(KernelImage.COPY_I64_F32, KernelImage.copy(DType.I64, DType.F32));
    }

    @Test
    void fatbinReturnsAFreshCopy() {
        byte[] a = KernelImage.fatbin();
        byte[] b = KernelImage.fatbin();
        a[0] = 0;
        assertArrayEquals(b, KernelImage.fatbin());
    }

    private static void copySources(Path module, Path to) throws IOException {
        Files.copy(module.resolve("build-fatbin.sh"), to.resolve("build-fatbin.sh"));
        Path src = module.resolve("src/main/cuda");
        try (Stream<Path> walk = Files.walk(src)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve("src/main/cuda").resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
