package dev.graft.kernels;

import dev.graft.engine.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * graft's own CUDA kernels as one fatbin on the classpath ({@code dev/graft/kernels/graft.fatbin}, built from
 * {@code kernels/src/main/cuda} by {@code kernels/build-fatbin.sh}), with the names of the entries it promises.
 * Loading checks the bytes against the SHA-256 recorded beside them and, when the class runs from a source tree
 * (target/classes), that the recorded hash of the sources matches the sources: a .cu file edited without
 * rerunning the script fails here, not as a wrong result on a GPU. Signatures and launch conventions of the
 * entries are in {@code kernels/src/main/cuda/README.md}.
 */
final class KernelImage {
    static final String RESOURCE = "/dev/graft/kernels/graft.fatbin";
    static final String MANIFEST_RESOURCE = RESOURCE + ".sha256";
    static final String BUILD_SCRIPT = "kernels/build-fatbin.sh";

    // Elementwise over strided views (elementwise.cu); op codes are UnaryOp/BinaryOp ordinals.
    static final String UNARY_F32 = "graft_unary_f32";
    static final String UNARY_F64 = "graft_unary_f64";
    static final String BINARY_F32 = "graft_binary_f32";
    static final String BINARY_F64 = "graft_binary_f64";
    static final String WHERE_F32 = "graft_where_f32";
    static final String WHERE_F64 = "graft_where_f64";

    // Copy with dtype conversion, source then destination dtype (convert.cu).
    static final String COPY_F32_F32 = "graft_copy_f32_f32";
    static final String COPY_F32_F64 = "graft_copy_f32_f64";
    static final String COPY_F32_I64 = "graft_copy_f32_i64";
    static final String COPY_F64_F32 = "graft_copy_f64_f32";
    static final String COPY_F64_F64 = "graft_copy_f64_f64";
    static final String COPY_F64_I64 = "graft_copy_f64_i64";
    static final String COPY_I64_F32 = "graft_copy_i64_f32";
    static final String COPY_I64_F64 = "graft_copy_i64_f64";
    static final String COPY_I64_I64 = "graft_copy_i64_i64";

    // Fill of a strided view (convert.cu).
    static final String FILL_F32 = "graft_fill_f32";
    static final String FILL_F64 = "graft_fill_f64";
    static final String FILL_I64 = "graft_fill_i64";

    // One-hot expansion of I64 indices (one_hot.cu).
    static final String ONE_HOT_F32 = "graft_one_hot_f32";
    static final String ONE_HOT_F64 = "graft_one_hot_f64";

    // Reductions over contiguous data (reduce.cu).
    static final String SUM_LAST_F32 = "graft_sum_last_f32";
    static final String SUM_LAST_F64 = "graft_sum_last_f64";
    static final String SUM_FIRST_F32 = "graft_sum_first_f32";
    static final String SUM_FIRST_F64 = "graft_sum_first_f64";
    static final String MAX_MIDDLE_F32 = "graft_max_middle_f32";
    static final String MAX_MIDDLE_F64 = "graft_max_middle_f64";

    // Fused softmax cross-entropy (cross_entropy.cu).
    static final String CROSS_ENTROPY_FORWARD_F32 = "graft_cross_entropy_forward_f32";
    static final String CROSS_ENTROPY_FORWARD_F64 = "graft_cross_entropy_forward_f64";
    static final String CROSS_ENTROPY_BACKWARD_F32 = "graft_cross_entropy_backward_f32";
    static final String CROSS_ENTROPY_BACKWARD_F64 = "graft_cross_entropy_backward_f64";

    // Multi-tensor optimizer updates, F32 only (optimizers.cu).
    static final String SGD_F32 = "graft_sgd_f32";
    static final String ADAM_F32 = "graft_adam_f32";

    // Max pooling with indices (max_pool.cu).
    static final String MAX_POOL2D_FORWARD_F32 = "graft_max_pool2d_forward_f32";
    static final String MAX_POOL2D_FORWARD_F64 = "graft_max_pool2d_forward_f64";
    static final String MAX_POOL2D_BACKWARD_F32 = "graft_max_pool2d_backward_f32";
    static final String MAX_POOL2D_BACKWARD_F64 = "graft_max_pool2d_backward_f64";

    // Average and adaptive average pooling (avg_pool.cu).
    static final String AVG_POOL2D_FORWARD_F32 = "graft_avg_pool2d_forward_f32";
    static final String AVG_POOL2D_FORWARD_F64 = "graft_avg_pool2d_forward_f64";
    static final String AVG_POOL2D_BACKWARD_F32 = "graft_avg_pool2d_backward_f32";
    static final String AVG_POOL2D_BACKWARD_F64 = "graft_avg_pool2d_backward_f64";
    static final String ADAPTIVE_AVG_POOL2D_FORWARD_F32 = "graft_adaptive_avg_pool2d_forward_f32";
    static final String ADAPTIVE_AVG_POOL2D_FORWARD_F64 = "graft_adaptive_avg_pool2d_forward_f64";
    static final String ADAPTIVE_AVG_POOL2D_BACKWARD_F32 = "graft_adaptive_avg_pool2d_backward_f32";
    static final String ADAPTIVE_AVG_POOL2D_BACKWARD_F64 = "graft_adaptive_avg_pool2d_backward_f64";

    // Inference epilogue after a convolution (conv_epilogue.cu).
    static final String CONV_EPILOGUE_F32 = "graft_conv_epilogue_f32";
    static final String CONV_EPILOGUE_F64 = "graft_conv_epilogue_f64";

    // Option-A shortcut of the CIFAR ResNets (shortcut.cu).
    static final String SHORTCUT_A_FORWARD_F32 = "graft_shortcut_a_forward_f32";
    static final String SHORTCUT_A_FORWARD_F64 = "graft_shortcut_a_forward_f64";
    static final String SHORTCUT_A_BACKWARD_F32 = "graft_shortcut_a_backward_f32";
    static final String SHORTCUT_A_BACKWARD_F64 = "graft_shortcut_a_backward_f64";

    // Feature-cache row gather (gather_rows.cu).
    static final String GATHER_ROWS_F32 = "graft_gather_rows_f32";
    static final String GATHER_ROWS_F64 = "graft_gather_rows_f64";

    /** Every entry the fatbin promises, in the order above. */
    static final List<String> ENTRIES = List.of(
            UNARY_F32, UNARY_F64, BINARY_F32, BINARY_F64,
            WHERE_F32, WHERE_F64, COPY_F32_F32, COPY_F32_F64,
            COPY_F32_I64, COPY_F64_F32, COPY_F64_F64, COPY_F64_I64,
            COPY_I64_F32, COPY_I64_F64, COPY_I64_I64, FILL_F32,
            FILL_F64, FILL_I64, ONE_HOT_F32, ONE_HOT_F64,
            SUM_LAST_F32, SUM_LAST_F64, SUM_FIRST_F32, SUM_FIRST_F64,
            MAX_MIDDLE_F32, MAX_MIDDLE_F64, CROSS_ENTROPY_FORWARD_F32, CROSS_ENTROPY_FORWARD_F64,
            CROSS_ENTROPY_BACKWARD_F32, CROSS_ENTROPY_BACKWARD_F64, SGD_F32, ADAM_F32,
            MAX_POOL2D_FORWARD_F32, MAX_POOL2D_FORWARD_F64, MAX_POOL2D_BACKWARD_F32, MAX_POOL2D_BACKWARD_F64,
            AVG_POOL2D_FORWARD_F32, AVG_POOL2D_FORWARD_F64, AVG_POOL2D_BACKWARD_F32, AVG_POOL2D_BACKWARD_F64,
            ADAPTIVE_AVG_POOL2D_FORWARD_F32, ADAPTIVE_AVG_POOL2D_FORWARD_F64, ADAPTIVE_AVG_POOL2D_BACKWARD_F32, ADAPTIVE_AVG_POOL2D_BACKWARD_F64,
            CONV_EPILOGUE_F32, CONV_EPILOGUE_F64, SHORTCUT_A_FORWARD_F32, SHORTCUT_A_FORWARD_F64,
            SHORTCUT_A_BACKWARD_F32, SHORTCUT_A_BACKWARD_F64, GATHER_ROWS_F32, GATHER_ROWS_F64);

    private static volatile byte[] image;

    private KernelImage() {
    }

    /** The copy entry converting {@code src} to {@code dst}. */
    static String copy(DType src, DType dst) {
        return "graft_copy_" + suffix(src) + "_" + suffix(dst);
    }

    /** The fill entry for {@code dtype}. */
    static String fill(DType dtype) {
        return "graft_fill_" + suffix(dtype);
    }

    private static String suffix(DType dtype) {
        return dtype.name().toLowerCase(Locale.ROOT);
    }

    /** The fatbin's bytes (a fresh copy), checked as the class comment says; loaded once. */
    static byte[] fatbin() {
        byte[] bytes = image;
        if (bytes == null) {
            synchronized (KernelImage.class) {
                bytes = image;
                if (bytes == null) {
                    Manifest manifest = Manifest.parse(resourceText(MANIFEST_RESOURCE));
                    bytes = resource(RESOURCE);
                    checkImage(bytes, manifest);
                    Optional<Path> module = sourceModule();
                    if (module.isPresent()) {
                        checkSources(module.get(), manifest);
                    }
                    image = bytes;
                }
            }
        }
        return bytes.clone();
    }

    /** What build-fatbin.sh records beside the fatbin. */
    record Manifest(String sourcesSha256, String fatbinSha256, String nvcc) {
        static Manifest parse(String text) {
            String sources = null;
            String fatbin = null;
            String nvcc = null;
            for (String line : text.split("\n")) {
                int space = line.indexOf(' ');
                String key = space < 0 ? line : line.substring(0, space);
                String value = space < 0 ? "" : line.substring(space + 1).trim();
                switch (key) {
                    case "sources-sha256" -> sources = value;
                    case "fatbin-sha256" -> fatbin = value;
                    case "nvcc" -> nvcc = value;
                    default -> { }
                }
            }
            if (sources == null || fatbin == null || nvcc == null) {
                throw new IllegalStateException(MANIFEST_RESOURCE + ": needs the lines sources-sha256, fatbin-sha256 "
                        + "and nvcc, got: " + text.strip() + "; rerun " + BUILD_SCRIPT);
            }
            return new Manifest(sources, fatbin, nvcc);
        }
    }

    /** Fails unless {@code fatbin} hashes to the recorded value and is a fatbin container. */
    static void checkImage(byte[] fatbin, Manifest manifest) {
        String actual = sha256(fatbin);
        if (!actual.equals(manifest.fatbinSha256())) {
            throw new IllegalStateException("graft.fatbin of " + fatbin.length + " bytes hashes to " + actual
                    + " but graft.fatbin.sha256 records " + manifest.fatbinSha256()
                    + ": the fatbin was replaced without rerunning " + BUILD_SCRIPT);
        }
        FatbinContainer.images(fatbin);
    }

    /** Fails unless the sources under {@code module} (the kernels module directory) hash to the recorded value. */
    static void checkSources(Path module, Manifest manifest) {
        String actual = sourceHash(module);
        if (!actual.equals(manifest.sourcesSha256())) {
            throw new IllegalStateException("graft.fatbin is stale: the CUDA sources under " + module
                    + " hash to " + actual + " but graft.fatbin.sha256 records " + manifest.sourcesSha256()
                    + "; rerun " + BUILD_SCRIPT + " (needs nvcc) and commit graft.fatbin and graft.fatbin.sha256");
        }
    }

    /**
     * The source hash as build-fatbin.sh defines it: SHA-256 over {@code build-fatbin.sh} and every
     * {@code src/main/cuda/**}{@code .cu|.cuh} (module-relative '/'-separated ASCII paths sorted by byte value),
     * each contributing {@code path "\n" size "\n" contents}.
     */
    static String sourceHash(Path module) {
        try {
            List<String> files;
            try (Stream<Path> walk = Files.walk(module.resolve("src/main/cuda"))) {
                files = walk.filter(Files::isRegularFile)
                        .map(p -> module.relativize(p).toString().replace('\\', '/'))
                        .filter(p -> p.endsWith(".cu") || p.endsWith(".cuh"))
                        .toList();
            }
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String file : Stream.concat(Stream.of("build-fatbin.sh"), files.stream()).sorted().toList()) {
                if (!StandardCharsets.US_ASCII.newEncoder().canEncode(file)) {
                    throw new IllegalStateException("CUDA source path " + file + " is not ASCII; " + BUILD_SCRIPT
                            + " hashes ASCII paths only");
                }
                byte[] content = Files.readAllBytes(module.resolve(file));
                digest.update((file + "\n" + content.length + "\n").getBytes(StandardCharsets.US_ASCII));
                digest.update(content);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("hashing the CUDA sources under " + module, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /**
     * The kernels module directory when this class was loaded from its build output ({@code target/classes})
     * and the sources are there; empty when it runs from a jar elsewhere.
     */
    static Optional<Path> sourceModule() {
        var codeSource = KernelImage.class.getProtectionDomain().getCodeSource();
        if (codeSource == null || codeSource.getLocation() == null) {
            return Optional.empty();
        }
        try {
            Path classes = Path.of(codeSource.getLocation().toURI());
            Path target = classes.getParent();
            if (!Files.isDirectory(classes) || target == null || !target.getFileName().toString().equals("target")) {
                return Optional.empty();
            }
            Path module = target.getParent();
            return module != null && Files.isRegularFile(module.resolve("build-fatbin.sh"))
                    && Files.isDirectory(module.resolve("src/main/cuda")) ? Optional.of(module) : Optional.empty();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private static String resourceText(String name) {
        return new String(resource(name), StandardCharsets.UTF_8);
    }

    private static byte[] resource(String name) {
        try (InputStream in = KernelImage.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("classpath resource " + name + " is missing from the kernels jar; "
                        + "build it with " + BUILD_SCRIPT);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading classpath resource " + name, e);
        }
    }
}
