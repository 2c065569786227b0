package dev.graft.models.train;

import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.engine.safetensors.SafetensorsFile;
import dev.graft.models.ImageClassifier;
import dev.graft.models.data.Augment;
import dev.graft.models.data.ImageFolder;
import dev.graft.models.data.SamplerKind;
import dev.graft.models.report.ClassificationMetrics;
import dev.graft.models.report.EpochRecord;
import dev.graft.models.resnet.HeadSpec;
import dev.graft.models.resnet.StagedNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole runs on small drawn data: strategies, feature cache, resume, unfreezing, failures. */
class TrainerTest {
    @TempDir
    static Path shared;
    static Path data;
    static Path weights;

    @BeforeAll
    static void data() throws Exception {
        data = TrainData.folders(shared.resolve("data"), 10, 5);
        weights = TrainData.weights(shared);
    }

    /** Accuracy of the saved best model, evaluated afresh through the embedding API. */
    private static double reevaluated(TrainingResult r) throws Exception {
        ClassificationMetrics m = ImageClassifier.load(r.bestModel())
                .evaluate(ImageFolder.scan(data.resolve("val")), w -> { });
        return m.accuracy();
    }

    @Test
    void featureExtractKeepsTheBackboneAndItsStatisticsAndTheCacheChangesNothing(@TempDir Path dir) throws Exception {
        TrainConfig.Builder b = TrainData.config(data, weights, dir.resolve("cached"),
                Strategy.of(Strategy.Kind.FEATURE_EXTRACT)).epochs(3).augment(Augment.NONE);
        TrainingResult cached = Trainer.run(b.build(), TrainingListener.SILENT);
        TrainingResult uncached = Trainer.run(TrainData.config(data, weights, dir.resolve("uncached"),
                        Strategy.of(Strategy.Kind.FEATURE_EXTRACT)).epochs(3).augment(Augment.NONE).featureCache(false)
                .build(), TrainingListener.SILENT);
        assertTrue(cached.featureCache());
        assertFalse(uncached.featureCache());
        assertEquals(64 * 4 + 4, cached.trainableParameters());
        for (int e = 0; e < 3; e++) {
            EpochRecord c = cached.history().get(e);
            EpochRecord u = uncached.history().get(e);
            assertEquals(u.valAccuracy(), c.valAccuracy(), "epoch " + (e + 1));
            assertEquals(u.trainLoss(), c.trainLoss(), 1e-5, "epoch " + (e + 1));
        }
        Map<String, Tensor> source = TrainData.tensors(weights, "");
        Map<String, Tensor> best = TrainData.tensors(cached.bestModel(), "");
        for (var e : source.entrySet()) {
            if (!e.getKey().startsWith("linear.")) {
                assertArrayEquals(e.getValue().toDoubleArray(), best.get(e.getKey()).toDoubleArray(), 0,
                        "frozen " + e.getKey() + " (BatchNorm statistics included) changed");
            }
        }
        Map<String, Tensor> cachedHead = TrainData.tensors(cached.lastCheckpoint(), "model.linear.");
        Map<String, Tensor> uncachedHead = TrainData.tensors(uncached.lastCheckpoint(), "model.linear.");
        assertArrayEquals(uncachedHead.get("weight").toFloatArray(), cachedHead.get("weight").toFloatArray(), 1e-4f);
        assertEquals(cached.bestValAccuracy(), reevaluated(cached), 1e-12);
    }

    @Test
    void resumeContinuesExactlyAsTheUninterruptedRun(@TempDir Path dir) throws Exception {
        TrainConfig.Builder recipe = TrainData.config(data, weights, dir.resolve("whole"), Strategy.fineTune("layer3"))
                .epochs(3).augment(Augment.STANDARD).head(new HeadSpec(16, 0.3)).sampler(SamplerKind.BALANCED)
                .optimizer(TrainConfig.OptimizerKind.ADAMW).lr(1e-3).warmupEpochs(1);
        TrainingResult whole = Trainer.run(recipe.build(), TrainingListener.SILENT);

        TrainConfig interrupted = TrainData.config(data, weights, dir.resolve("parts"), Strategy.fineTune("layer3"))
                .epochs(3).augment(Augment.STANDARD).head(new HeadSpec(16, 0.3)).sampler(SamplerKind.BALANCED)
                .optimizer(TrainConfig.OptimizerKind.ADAMW).lr(1e-3).warmupEpochs(1).build();
        class Crash extends RuntimeException {
        }
        assertThrows(Crash.class, () -> Trainer.run(interrupted, new TrainingListener() {
            @Override
            public void epochEnded(EpochRecord record, ClassificationMetrics val) {
                if (record.epoch() == 2) {
                    throw new Crash();
                }
            }
        }));
        TrainingResult resumed = Trainer.resume(interrupted, TrainingListener.SILENT);
        assertEquals(3, resumed.history().size());
        for (int e = 0; e < 3; e++) {
            EpochRecord w = whole.history().get(e);
            EpochRecord r = resumed.history().get(e);
            assertEquals(w.trainLoss(), r.trainLoss(), 0, "train loss, epoch " + (e + 1));
            assertEquals(w.valLoss(), r.valLoss(), 0, "val loss, epoch " + (e + 1));
            assertEquals(w.trainAccuracy(), r.trainAccuracy(), 0);
            assertEquals(w.lr(), r.lr(), 0);
        }
        Map<String, Tensor> a = TrainData.tensors(whole.lastCheckpoint(), "");
        Map<String, Tensor> b = TrainData.tensors(resumed.lastCheckpoint(), "");
        assertEquals(a.keySet(), b.keySet());
        a.forEach((k, t) -> assertArrayEquals(t.toDoubleArray(), b.get(k).toDoubleArray(), 0, k));
        assertEquals(3, Files.readAllLines(resumed.metrics()).size());

        var other = TrainData.config(data, weights, dir.resolve("parts"), Strategy.fineTune("layer3")).epochs(4)
                .augment(Augment.STANDARD).head(new HeadSpec(16, 0.3)).sampler(SamplerKind.BALANCED)
                .optimizer(TrainConfig.OptimizerKind.ADAMW).lr(1e-3).warmupEpochs(1).build();
        var e = assertThrows(IllegalArgumentException.class, () -> Trainer.resume(other, TrainingListener.SILENT));
        assertTrue(e.getMessage().contains("epochs was 3, now 4"), e.getMessage());
    }

    @Test
    void gradualUnfreezingSwitchesAtTheScheduledEpoch(@TempDir Path dir) throws Exception {
        List<Map<String, Tensor>> afterEpoch = new ArrayList<>();
        Path out = dir.resolve("run");
        TrainingResult r = Trainer.run(TrainData.config(data, weights, out, Strategy.of(Strategy.Kind.FEATURE_EXTRACT))
                .epochs(3).unfreezeSchedule(UnfreezeSchedule.parse("2:layer3,3:layer2")).build(), new TrainingListener() {
            @Override
            public void epochEnded(EpochRecord record, ClassificationMetrics val) {
                try {
                    afterEpoch.add(TrainData.tensors(out.resolve(Trainer.LAST), "model."));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        assertFalse(r.featureCache());
        assertEquals(List.of("linear"), r.history().get(0).trainable());
        assertEquals(List.of("layer3", "linear"), r.history().get(1).trainable());
        assertEquals(List.of("layer2", "layer3", "linear"), r.history().get(2).trainable());
        Map<String, Tensor> source = TrainData.tensors(weights, "");
        String l3 = "layer3.1.conv1.weight";
        String l2 = "layer2.1.conv1.weight";
        assertArrayEquals(source.get(l3).toFloatArray(), afterEpoch.get(0).get(l3).toFloatArray(), 0);
        assertFalse(java.util.Arrays.equals(source.get(l3).toFloatArray(), afterEpoch.get(1).get(l3).toFloatArray()));
        assertArrayEquals(source.get(l2).toFloatArray(), afterEpoch.get(1).get(l2).toFloatArray(), 0);
        assertFalse(java.util.Arrays.equals(source.get(l2).toFloatArray(), afterEpoch.get(2).get(l2).toFloatArray()));
        assertArrayEquals(source.get("layer1.0.bn1.running_mean").toFloatArray(),
                afterEpoch.get(2).get("layer1.0.bn1.running_mean").toFloatArray(), 0);
    }

    @Test
    void aNonFiniteLossStopsTheRunAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        TrainConfig config = TrainData.config(data, weights, out, Strategy.of(Strategy.Kind.FULL)).epochs(3).build();
        var e = assertThrows(NonFiniteLossException.class, () -> Trainer.run(config, new TrainingListener() {
            @Override
            public void stepEnded(StagedNetwork network, long step) {
                if (step == 7) { // in epoch 2: 40 images in batches of 8 (drop-last) are 5 steps an epoch
                    try (var _ = NoGrad.enter()) {
                        network.classifier().weight().tensor().fill(Double.NaN);
                    }
                }
            }
        }));
        assertTrue(e.getMessage().startsWith("epoch 2, batch 3: the loss is NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("last.safetensors (epoch 1)"), e.getMessage());
        try (SafetensorsFile st = SafetensorsFile.open(out.resolve(Trainer.LAST))) {
            assertEquals("1", st.metadata().get("epochs_done"));
            assertTrue(java.util.Arrays.stream(st.tensor("model.linear.weight").toDoubleArray()).allMatch(Double::isFinite));
        }
    }

    @Test
    void anUnreadableImageIsSkippedAndCounted(@TempDir Path dir) throws Exception {
        Path copy = TrainData.folders(dir.resolve("data"), 4, 2);
        Files.write(copy.resolve("train/hexagon/broken.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3});
        List<String> warnings = new ArrayList<>();
        TrainingResult r = Trainer.run(TrainData.config(copy, weights, dir.resolve("run"),
                Strategy.of(Strategy.Kind.FULL)).epochs(2).build(), new TrainingListener() {
            @Override
            public void warn(String line) {
                warnings.add(line);
            }
        });
        assertEquals(1, r.skippedFiles());
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.getFirst().contains("broken.jpg"), warnings.toString());
        assertEquals(2, r.history().size());
    }

    @Test
    void greyInputFocalLossClassWeightsAndAHiddenHeadRoundTripThroughTheBundle(@TempDir Path dir) throws Exception {
        TrainingResult r = Trainer.run(TrainData.config(data, weights, dir.resolve("run"), Strategy.fineTune("layer3"))
                .inChannels(1).head(new HeadSpec(8, 0.2)).loss(TrainConfig.LossKind.FOCAL).classWeights(true)
                .gradClip(1).schedule(TrainConfig.ScheduleKind.ONECYCLE).build(), TrainingListener.SILENT);
        ImageClassifier model = ImageClassifier.load(r.bestModel());
        assertEquals(1, model.preprocessing().channels());
        assertEquals(TrainData.CLASSES, model.classes());
        assertEquals(r.bestValAccuracy(), reevaluated(r), 1e-12);
        Map<String, Tensor> best = TrainData.tensors(r.bestModel(), "");
        assertArrayEquals(new int[] {16, 1, 3, 3}, best.get("conv1.weight").shape());
        assertTrue(best.containsKey("linear.0.weight") && best.containsKey("linear.3.weight"), best.keySet().toString());
    }

    @Test
    void scratchTrainsFromRandomWeightsAndEarlyStopping(@TempDir Path dir) throws Exception {
        TrainConfig config = TrainData.config(data, weights, dir.resolve("run"), Strategy.of(Strategy.Kind.SCRATCH))
                .epochs(6).earlyStop(1).lr(1e-6).build();
        TrainingResult r = Trainer.run(config, TrainingListener.SILENT);
        // With a negligible learning rate no epoch beats the first by much: patience 1 stops right after the best.
        assertTrue(r.stoppedEarly());
        assertEquals(r.bestEpoch() + 1, r.history().size());
        // Resuming a run that stopped early trains nothing more.
        TrainingResult resumed = Trainer.resume(config, TrainingListener.SILENT);
        assertTrue(resumed.stoppedEarly());
        assertEquals(r.history(), resumed.history());
        assertEquals(dev.graft.models.resnet.CifarResNet.of(20, 4, 3, new dev.graft.engine.Generator(0))
                .parameterCount(), r.trainableParameters());
        var e = assertThrows(IllegalArgumentException.class, () -> TrainData.config(data, weights, dir.resolve("x"),
                Strategy.of(Strategy.Kind.SCRATCH)).weights(weights).build());
        assertTrue(e.getMessage().contains("--weights none"), e.getMessage());
    }
}
