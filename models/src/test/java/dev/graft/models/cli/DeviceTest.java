package dev.graft.models.cli;

import dev.graft.engine.Backend;
import dev.graft.engine.Backends;
import dev.graft.engine.Tensor;
import dev.graft.models.ImageClassifier;
import dev.graft.models.bundle.CliFixtures;
import dev.graft.models.bundle.LoadOptions;
import dev.graft.models.demo.Demo;
import dev.graft.models.report.EpochRecord;
import dev.graft.models.train.TrainingListener;
import dev.graft.models.train.TrainingResult;
import dev.graft.weights.npy.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static dev.graft.models.bundle.CliFixtures.ARCH;
import static dev.graft.models.bundle.CliFixtures.ZIP;
import static dev.graft.models.cli.GraftCommandTest.fixture;
import static dev.graft.models.cli.GraftCommandTest.graft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --device} end to end on a backend other than the CPU: the engine's test-only fenced backend, whose
 * kernels refuse CPU tensors. Training (every strategy, the feature cache, bundles and checkpoints), the
 * embedding API and the commands must keep every tensor of a step on the chosen backend and give the CPU's
 * numbers; a CPU allocation anywhere in their path fails here.
 */
class DeviceTest {
    private static final Backend FENCED = Backends.get("fenced");

    @TempDir
    Path dir;

    @Test
    void theDemoTrainsOnAnotherBackendAsOnTheCpu() throws Exception {
        Demo.Result cpu = new Demo(dir.resolve("cpu"), 5, 6, 1, 4, 2, 2, "cpu").run(TrainingListener.SILENT);
        Demo.Result fenced = new Demo(dir.resolve("fenced"), 5, 6, 1, 4, 2, 2, "fenced").run(TrainingListener.SILENT);
        assertSameRun("pretraining", cpu.pretraining(), fenced.pretraining());
        for (int i = 0; i < cpu.rows().size(); i++) {
            assertSameRun(cpu.rows().get(i).strategy().toString(), cpu.rows().get(i).result(),
                    fenced.rows().get(i).result());
        }

        Path bundle = fenced.rows().get(2).result().bestModel();
        ImageClassifier onCpu = ImageClassifier.load(bundle);
        ImageClassifier onFenced = ImageClassifier.load(bundle, LoadOptions.defaults(), FENCED);
        assertSame(FENCED, onFenced.device());
        BufferedImage image = new BufferedImage(40, 36, BufferedImage.TYPE_INT_RGB);
        SplittableRandom random = new SplittableRandom(3);
        for (int y = 0; y < 36; y++) {
            for (int x = 0; x < 40; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        List<ImageClassifier.Prediction> a = onCpu.classify(image, 4);
        List<ImageClassifier.Prediction> b = onFenced.classify(image, 4);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).index(), b.get(i).index());
            assertEquals(a.get(i).probability(), b.get(i).probability(), 1e-6);
        }
        assertClose(onCpu.embed(image), onFenced.embed(image), 1e-5);
        Tensor input = Tensor.randn(new dev.graft.engine.Generator(1), 2, 3, 32, 32);
        Tensor logits = onFenced.logits(input);
        assertSame(Backends.cpu(), logits.backend(), "logits come back on the input's backend");
        assertClose(onCpu.logits(input).toFloatArray(), logits.toFloatArray(), 1e-5);
    }

    /** Same history up to the rounding of the composed ops (the fenced backend has no fused loss or update). */
    private static void assertSameRun(String what, TrainingResult cpu, TrainingResult fenced) {
        assertEquals(cpu.epochs(), fenced.epochs(), what);
        assertEquals(cpu.trainableParameters(), fenced.trainableParameters(), what);
        assertEquals(cpu.featureCache(), fenced.featureCache(), what);
        for (int e = 0; e < cpu.history().size(); e++) {
            EpochRecord x = cpu.history().get(e);
            EpochRecord y = fenced.history().get(e);
            assertEquals(x.trainLoss(), y.trainLoss(), 1e-3 * (1 + Math.abs(x.trainLoss())), what + " epoch " + e);
            assertEquals(x.valLoss(), y.valLoss(), 1e-3 * (1 + Math.abs(x.valLoss())), what + " epoch " + e);
        }
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance * (1 + Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void commandsComputeOnTheNamedDevice() throws Exception {
        Path cpu = dir.resolve("cpu.npy");
        Path fenced = dir.resolve("fenced.npy");
        var a = graft("infer", "--weights", fixture(ZIP), "--arch", ARCH, "--input", fixture(CliFixtures.INPUT),
                "--output", cpu);
        var b = graft("infer", "--weights", fixture(ZIP), "--arch", ARCH, "--input", fixture(CliFixtures.INPUT),
                "--output", fenced, "--device", "fenced", "--batch", 3);
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        assertClose(Npy.read(cpu).toFloatArray(), Npy.read(fenced).toFloatArray(), 1e-5);

        var bench = graft("bench", "--arch", "cifar_resnet20", "--batch", 2, "--mode", "train", "--warmup", 0,
                "--steps", 1, "--device", "fenced");
        assertEquals(0, bench.code(), bench.err());
        assertTrue(bench.out().startsWith("cifar_resnet20 train on fenced, batch 2"), bench.out());
    }

    @Test
    void cudaWithoutADriverIsAUsageErrorNamingWhatIsMissing() {
        var run = graft("bench", "--arch", "cifar_resnet20", "--batch", 2, "--mode", "infer", "--device", "cuda");
        if (run.code() == 0) {
            System.out.println("DeviceTest: this machine runs CUDA; the no-driver message is not checked");
            return;
        }
        assertEquals(2, run.code(), run.err());
        String line = run.errorLine();
        assertTrue(line.contains("--device cuda: CUDA backend unavailable: libcuda.so.1"), line);
        assertTrue(line.contains("not found. Searched, in order: LD_LIBRARY_PATH"), line);
    }

    @Test
    void anUnknownOrMissingDeviceIsOneClearUsageError() {
        var unknown = graft("bench", "--arch", "cifar_resnet20", "--batch", 2, "--mode", "infer", "--device", "tpu");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("--device tpu: unknown backend 'tpu'; installed: "), unknown.err());
        var predict = graft("predict", "--model", dir.resolve("none.safetensors"), "--device", "tpu",
                dir.resolve("x.png"));
        assertEquals(2, predict.code());
        assertTrue(predict.err().contains("--device tpu"), predict.err());
    }
}
