package dev.graft.models.demo;

import dev.graft.models.bundle.WeightsException;
import dev.graft.models.data.Augment;
import dev.graft.models.train.Strategy;
import dev.graft.models.train.TrainConfig;
import dev.graft.models.train.Trainer;
import dev.graft.models.train.TrainingListener;
import dev.graft.models.train.TrainingResult;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code graft demo}, the embedded default job, offline: draws a source task (8 figures) and a smaller target task
 * (4 other figures, few images), pretrains a CIFAR ResNet-20 from scratch on the source, then transfers it to the
 * target with each strategy — feature-extract, fine-tune (last stage), full — beside training the same network
 * from scratch on the target alone. Every run uses the same recipe (SGD with momentum, cosine schedule, light
 * augmentation), except that feature extraction trains without augmentation so that its backbone features are
 * computed once and cached, the way a frozen backbone is meant to be used.
 *
 * @param sourcePerClass  training images per source figure (a fifth as many again for validation)
 * @param targetPerClass  training images per target figure
 * @param targetValPerClass validation images per target figure
 * @param device          the backend every run computes on ({@code cpu}, {@code cuda})
 */
public record Demo(Path folder, long seed, int sourcePerClass, int sourceEpochs, int targetPerClass,
                   int targetValPerClass, int targetEpochs, String device) {
    static final String ARCH = "cifar_resnet20";
    private static final int SIZE = 32;

    /** The sizes {@code graft demo} uses: a few minutes on two cores. */
    public static Demo standard(Path folder, long seed, String device) {
        return new Demo(folder, seed, 150, 8, 20, 50, 12, device);
    }

    /** One transfer run's outcome. */
    public record Row(Strategy strategy, TrainingResult result) {
    }

    /** The pretraining run and the transfer runs in the order run. */
    public record Result(TrainingResult pretraining, List<Row> rows) {
    }

    public Result run(TrainingListener listener) throws IOException, WeightsException {
        Path data = folder.resolve("data");
        listener.log("drawing " + SyntheticShapes.SOURCE.size() + " source figures " + SyntheticShapes.SOURCE
                + " and " + SyntheticShapes.TARGET.size() + " target figures " + SyntheticShapes.TARGET + " into "
                + data);
        SyntheticShapes.write(data.resolve("source/train"), SyntheticShapes.SOURCE, sourcePerClass, SIZE, seed);
        SyntheticShapes.write(data.resolve("source/val"), SyntheticShapes.SOURCE, Math.max(2, sourcePerClass / 5),
                SIZE, seed + 1);
        SyntheticShapes.write(data.resolve("target/train"), SyntheticShapes.TARGET, targetPerClass, SIZE, seed + 2);
        SyntheticShapes.write(data.resolve("target/val"), SyntheticShapes.TARGET, targetValPerClass, SIZE, seed + 3);

        listener.log("pretraining " + ARCH + " from scratch on the source task");
        TrainingResult source = Trainer.run(recipe(data.resolve("source"), folder.resolve("source-scratch"),
                Strategy.of(Strategy.Kind.SCRATCH), null, sourceEpochs).batch(64).lr(0.1).build(), listener);
        Path pretrained = source.bestModel();
        List<Row> rows = new ArrayList<>();
        for (Strategy s : List.of(Strategy.of(Strategy.Kind.FEATURE_EXTRACT), Strategy.fineTune("layer3"),
                Strategy.of(Strategy.Kind.FULL), Strategy.of(Strategy.Kind.SCRATCH))) {
            listener.log("target task: " + s);
            TrainConfig.Builder config = recipe(data.resolve("target"), folder.resolve("target-" + s.kind().label()), s,
                    s.pretrained() ? pretrained : null, targetEpochs);
            if (s.kind() == Strategy.Kind.FEATURE_EXTRACT) {
                config.augment(Augment.NONE);
            }
            rows.add(new Row(s, Trainer.run(config.build(), listener)));
        }
        return new Result(source, rows);
    }

    private TrainConfig.Builder recipe(Path task, Path out, Strategy strategy, Path weights, int epochs) {
        return TrainConfig.builder(task.resolve("train"), ARCH, out)
                .val(task.resolve("val"))
                .weights(weights)
                .strategy(strategy)
                .epochs(epochs)
                .batch(32)
                .lr(0.05)
                .momentum(0.9)
                .weightDecay(5e-4)
                .augment(Augment.LIGHT)
                .seed(seed)
                .device(device);
    }
}
