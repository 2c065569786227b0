package dev.graft.models.train;

import dev.graft.engine.Tensor;
import dev.graft.models.bundle.LoadOptions;
import dev.graft.models.bundle.WeightsLoader;
import dev.graft.models.data.Augment;
import dev.graft.models.resnet.StagedNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The public CIFAR ResNet-20 checkpoint transferred to real photographs (hymenoptera's validation folder, ants
 * and bees, split 70/30): what each strategy trains, read back from the saved files.
 */
class RealDataTransferTest {
    static Path checkpoint;
    static Path photos;

    @BeforeAll
    static void assets() {
        Path assets = Path.of(System.getProperty("graft.assets", "../shared/assets"));
        checkpoint = assets.resolve("resnet-cifar10/pretrained_models/resnet20-12fca82f.th");
        photos = assets.resolve("hymenoptera/val");
        if (!Files.isRegularFile(checkpoint) || !Files.isDirectory(photos)) {
            String reason = "skipped: " + checkpoint + " or " + photos + " is absent (set -Dgraft.assets)";
            System.out.println("RealDataTransferTest " + reason);
            assumeTrue(false, reason);
        }
    }

    private static TrainConfig.Builder run(Path out, Strategy strategy) {
        return TrainConfig.builder(photos, "cifar_resnet20", out).valSplit(0.3).weights(checkpoint)
                .strategy(strategy).epochs(1).batch(16).lr(0.01).imageSize(32).augment(Augment.NONE).seed(1);
    }

    @Test
    void featureExtractionLeavesEveryPretrainedTensorAsItWas(@TempDir Path dir) throws Exception {
        TrainingResult r = Trainer.run(run(dir, Strategy.of(Strategy.Kind.FEATURE_EXTRACT)).build(),
                TrainingListener.SILENT);
        StagedNetwork source = WeightsLoader.load(checkpoint, LoadOptions.defaults().withArch("cifar_resnet20"))
                .network();
        Map<String, Tensor> after = TrainData.tensors(r.lastCheckpoint(), "model.");
        int compared = 0;
        for (var e : source.stateDict().entrySet()) {
            if (!e.getKey().startsWith("linear.") && !e.getKey().endsWith("num_batches_tracked")) {
                assertArrayEquals(e.getValue().toDoubleArray(), after.get(e.getKey()).toDoubleArray(), 0, e.getKey());
                compared++;
            }
        }
        assertEquals(19 * 4 + 19, compared); // 19 BatchNorm layers × 4 tensors, 19 convolutions
        assertEquals(64 * 2 + 2, r.trainableParameters());
    }

    @Test
    void fineTuningChangesOnlyTheNamedStageAndTheHead(@TempDir Path dir) throws Exception {
        TrainingResult r = Trainer.run(run(dir, Strategy.fineTune("layer3")).build(), TrainingListener.SILENT);
        StagedNetwork source = WeightsLoader.load(checkpoint, LoadOptions.defaults().withArch("cifar_resnet20"))
                .network();
        Map<String, Tensor> after = TrainData.tensors(r.lastCheckpoint(), "model.");
        for (var e : source.namedParameters().entrySet()) {
            if (e.getKey().startsWith("linear.")) {
                continue; // the head is new: 2 classes, not the checkpoint's 10
            }
            boolean trained = e.getKey().startsWith("layer3.");
            boolean same = java.util.Arrays.equals(e.getValue().tensor().toFloatArray(),
                    after.get(e.getKey()).toFloatArray());
            assertEquals(!trained, same, e.getKey());
        }
        // layer3's BatchNorm layers train, so their running statistics move; layer2's stay.
        assertFalse(java.util.Arrays.equals(source.stateDict().get("layer3.0.bn1.running_mean").toFloatArray(),
                after.get("layer3.0.bn1.running_mean").toFloatArray()));
        assertArrayEquals(source.stateDict().get("layer2.0.bn1.running_mean").toFloatArray(),
                after.get("layer2.0.bn1.running_mean").toFloatArray(), 0);
    }
}
