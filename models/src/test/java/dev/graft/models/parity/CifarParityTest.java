package dev.graft.models.parity;

import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Module;
import dev.graft.models.Architecture;
import dev.graft.models.ModelRegistry;
import dev.graft.models.image.ImageDecoder;
import dev.graft.models.image.ImageTransform;
import dev.graft.models.image.PilBytes;
import dev.graft.models.resnet.StagedNetwork;
import dev.graft.weights.PytorchCheckpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * graft against PyTorch on akamaster's public CIFAR-10 ResNets (legacy {@code .th} checkpoints read by
 * {@link PytorchCheckpoint}) and the 1000-image CIFAR-10 JPEG test subset, both from {@code graft.assets}.
 * References come from {@code models/src/test/fixtures/make_cifar_parity_fixtures.py}; its logits are
 * PyTorch's forward in float64, so the measured error is graft's float32 rounding alone. Skipped, with the
 * reason printed, when the assets are absent.
 */
class CifarParityTest {
    /** Logits must agree to this fraction of the largest reference logit. */
    private static final double RELATIVE_TOLERANCE = 1e-4;
    /** Top-1 agreement required when graft decodes the JPEGs itself. */
    private static final double MIN_AGREEMENT = 0.999;
    private static final int BATCH = 100;

    private static Path assets;
    /** Why the tests are skipped, or null when the assets are present. */
    private static String skipReason;
    private static CifarFixtures fixtures;

    @BeforeAll
    static void findAssets() {
        assets = Path.of(System.getProperty("graft.assets", "../../shared/assets")).toAbsolutePath().normalize();
        for (String folder : List.of("resnet-cifar10", "cifar10-subset/test")) {
            if (skipReason == null && !Files.isDirectory(assets.resolve(folder))) {
                skipReason = "skipped: asset folder " + assets.resolve(folder) + " is absent";
                System.out.println("CifarParityTest " + skipReason);
            }
        }
        fixtures = CifarFixtures.load();
    }

    @BeforeEach
    void requireAssets() {
        assumeTrue(skipReason == null, skipReason);
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet20", "resnet56"})
    void logitsMatchPytorchOnIdenticalInputs(String name) throws Exception {
        StagedNetwork net = pretrained(name);
        Tensor x = Tensor.stack(0, fixtures.inputs.stream().map(CifarFixtures.Input::tensor).toArray(Tensor[]::new));
        Tensor expected = fixtures.logits.get(name);
        Tensor actual = forward(net, x);
        assertArrayEquals(expected.shape(), actual.shape());

        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < e.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) a[i] - e[i]));
            maxRef = Math.max(maxRef, Math.abs((double) e[i]));
        }
        double relative = maxDiff / maxRef;
        System.out.printf(Locale.ROOT, "CifarParityTest %s: %d images, max|Δ| %.3g, max|ref| %.4g, relative %.3g%n",
                name, fixtures.inputs.size(), maxDiff, maxRef, relative);
        assertTrue(relative <= RELATIVE_TOLERANCE, name + ": max|Δ|/max|ref| = " + relative + " > "
                + RELATIVE_TOLERANCE);
    }

    @Test
    void imageioDecodingReproducesPilInputsExactly() throws Exception {
        ImageTransform transform = new ImageTransform(ModelRegistry.get("cifar_resnet20").preprocessing());
        for (CifarFixtures.Input input : fixtures.inputs) {
            // Both libjpegs decode these 4:2:0 JPEGs to the same bytes, and ImageTransform normalises in
            // float32 exactly as torchvision, so nothing may differ (see ImageDecoder for the measurements).
            assertArrayEquals(input.tensor().toFloatArray(), transform.load(assets.resolve(input.path()))
                    .toFloatArray(), input.path());
        }
    }

    @Test
    void top1AgreesWithPytorchWhenGraftDecodesTheJpegs() throws Exception {
        List<CifarFixtures.Prediction> predictions = CifarFixtures.predictions();
        assertEquals(1000, predictions.size(), "top1_resnet20.txt lists every test image");
        Architecture arch = ModelRegistry.get("cifar_resnet20");
        ImageTransform transform = new ImageTransform(arch.preprocessing());
        StagedNetwork net = pretrained("resnet20");

        int agree = 0;
        int correct = 0;
        int identicalDecodes = 0;
        List<String> disagreements = new ArrayList<>();
        for (int start = 0; start < predictions.size(); start += BATCH) {
            List<CifarFixtures.Prediction> batch = predictions.subList(start, Math.min(start + BATCH,
                    predictions.size()));
            Tensor[] images = new Tensor[batch.size()];
            for (int i = 0; i < images.length; i++) {
                Tensor decoded = ImageDecoder.read(assets.resolve(batch.get(i).path()));
                identicalDecodes += PilBytes.crc32(decoded) == batch.get(i).crc32() ? 1 : 0;
                images[i] = transform.apply(decoded);
            }
            long[] top1 = forward(net, Tensor.stack(0, images)).argmax(1, false).toLongArray();
            for (int i = 0; i < top1.length; i++) {
                CifarFixtures.Prediction p = batch.get(i);
                correct += top1[i] == p.label() ? 1 : 0;
                if (top1[i] == p.predicted()) {
                    agree++;
                } else {
                    disagreements.add(String.format(Locale.ROOT, "%s: graft %d, PyTorch %d (PyTorch margin %.4f)",
                            p.path(), top1[i], p.predicted(), p.margin()));
                }
            }
        }
        int n = predictions.size();
        System.out.printf(Locale.ROOT, "CifarParityTest resnet20 on %d JPEGs decoded by ImageIO: top-1 agreement"
                + " with PyTorch/PIL %d/%d (%.1f%%), graft accuracy %.1f%%, decodes byte-identical to PIL %d/%d%n",
                n, agree, n, 100.0 * agree / n, 100.0 * correct / n, identicalDecodes, n);
        disagreements.forEach(d -> System.out.println("CifarParityTest   disagreement " + d));
        assertTrue(agree >= MIN_AGREEMENT * n, "top-1 agreement " + agree + "/" + n + " below " + MIN_AGREEMENT
                + "; " + disagreements);
    }

    /**
     * graft's network for a checkpoint of the fixtures, its sha256 checked: strict load except for the
     * optional BatchNorm counters, which these pre-0.4.1 checkpoints lack.
     */
    private static StagedNetwork pretrained(String name) throws Exception {
        CifarFixtures.Checkpoint checkpoint = fixtures.checkpoints.get(name);
        Path file = assets.resolve(checkpoint.path());
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        assertEquals(checkpoint.sha256(), sha256, file + " is not the checkpoint the references were computed with");

        StagedNetwork net = ModelRegistry.get("cifar_" + name).build(new Generator(0));
        Module.LoadResult result = net.loadStateDict(PytorchCheckpoint.read(file).tensors(), false);
        assertEquals(List.of(), result.unexpected(), name + ": unexpected keys");
        assertEquals(net.optionalStateKeys(), result.missing(), name + ": missing keys");
        net.eval();
        return net;
    }

    private static Tensor forward(StagedNetwork net, Tensor x) {
        try (var _ = NoGrad.enter()) {
            return net.forward(x);
        }
    }
}
