package dev.graft.bench;

import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.optim.ParamGroup;
import dev.graft.engine.optim.Sgd;
import dev.graft.models.bundle.LoadOptions;
import dev.graft.models.bundle.WeightsLoader;
import dev.graft.models.resnet.HeadSpec;
import dev.graft.models.resnet.StagedNetwork;
import dev.graft.engine.Reduction;
import dev.graft.engine.Tensor;
import dev.graft.models.data.Augment;
import dev.graft.models.data.Batch;
import dev.graft.models.data.DataLoader;
import dev.graft.models.data.ImageDataset;
import dev.graft.models.data.ImageFolder;
import dev.graft.models.data.Pipeline;
import dev.graft.models.data.SamplerKind;
import dev.graft.models.ModelRegistry;
import dev.graft.models.Preprocessing;
import dev.graft.models.train.Strategy;
import dev.graft.models.train.TrainConfig;
import dev.graft.models.train.Trainer;
import dev.graft.models.train.TrainingListener;
import dev.graft.models.train.TrainingResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The training loop's own speed on cifar10-subset with the public CIFAR ResNet-20 checkpoint:
 * <ol>
 *   <li>the data loader alone (decode, augment, batch; default workers) per augmentation level, in images/s;</li>
 *   <li>fine-tuning compute alone (forward, backward, SGD on one pre-loaded batch repeated) against a whole
 *       epoch fed by the loader with light augmentation: if the loader kept up, the two rates agree;</li>
 *   <li>feature-extract epochs with and without the feature cache: per-epoch time after the first.</li>
 * </ol>
 * Usage: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.graft.bench.TransferLoop
 * ASSETS_DIR WORK_DIR}.
 */
public final class TransferLoop {
    private TransferLoop() {
    }

    public static void main(String[] args) throws Exception {
        Path assets = Path.of(args[0]);
        Path work = Files.createDirectories(Path.of(args[1]));
        Path train = assets.resolve("cifar10-subset/train");
        Path weights = assets.resolve("resnet-cifar10/pretrained_models/resnet20-12fca82f.th");
        ImageDataset data = ImageFolder.scan(train);
        Preprocessing pre = ModelRegistry.get("cifar_resnet20").preprocessing();
        System.out.printf(Locale.ROOT, "%d training images, %d cores%n", data.size(),
                Runtime.getRuntime().availableProcessors());

        loaderRate(data, pre, Augment.STANDARD); // warms up the decoder and the JIT; not reported
        for (Augment a : Augment.values()) {
            System.out.printf(Locale.ROOT, "loader only, cifar10-subset (32x32 JPEG), augment %-8s %7.0f images/s%n",
                    a.name().toLowerCase(Locale.ROOT), loaderRate(data, pre, a));
        }
        ImageDataset photos = ImageFolder.scan(assets.resolve("hymenoptera/train"));
        for (Augment a : Augment.values()) {
            System.out.printf(Locale.ROOT, "loader only, hymenoptera (~500x375 JPEG) to 32x32, augment %-8s %7.0f "
                    + "images/s%n", a.name().toLowerCase(Locale.ROOT), loaderRate(photos, pre, a));
        }

        System.out.printf(Locale.ROOT, "full fine-tune, compute only (one batch repeated)  %8.0f images/s%n",
                computeOnly(weights, data, pre));
        TrainingResult epoch = Trainer.run(TrainConfig.builder(train, "cifar_resnet20", work.resolve("full"))
                .weights(weights).strategy(Strategy.of(Strategy.Kind.FULL)).epochs(1).batch(32).lr(0.01).build(),
                TrainingListener.SILENT);
        System.out.printf(Locale.ROOT, "full fine-tune, epoch fed by the loader (light)    %8.0f images/s%n",
                epoch.imagesPerSec());

        for (boolean cache : new boolean[] {false, true}) {
            TrainingResult r = Trainer.run(TrainConfig.builder(train, "cifar_resnet20",
                            work.resolve("feature-extract-" + cache)).weights(weights)
                    .strategy(Strategy.of(Strategy.Kind.FEATURE_EXTRACT)).augment(Augment.NONE).epochs(3).batch(32)
                    .lr(0.05).featureCache(cache).build(), TrainingListener.SILENT);
            System.out.printf(Locale.ROOT, "feature-extract, cache %-5s epoch seconds %s%n", cache,
                    r.history().stream().map(e -> String.format(Locale.ROOT, "%.2f", e.seconds())).toList());
        }
    }

    /** Images per second through a loader with the default workers, over one epoch of batches of 32. */
    private static double loaderRate(ImageDataset data, Preprocessing pre, Augment augment) {
        try (DataLoader loader = DataLoader.builder(data, Pipeline.train(pre, augment, 32)).batchSize(32)
                .sampler(SamplerKind.SHUFFLE).seed(1).build()) {
            long start = System.nanoTime();
            long images = 0;
            for (Iterator<Batch> it = loader.epoch(0); it.hasNext(); ) {
                images += it.next().size();
            }
            return images / ((System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * Forward, backward and an SGD step of the whole network on one loaded batch of 32, repeated: the compute
     * rate with no data loading (the epoch's validation is not part of it either).
     */
    private static double computeOnly(Path weights, ImageDataset data, Preprocessing pre) throws Exception {
        StagedNetwork net = WeightsLoader.load(weights, LoadOptions.defaults().withArch("cifar_resnet20")).network();
        net.replaceHead(HeadSpec.LINEAR, data.classes().size(), new Generator(1));
        net.train();
        Sgd sgd = new Sgd(List.of(new ParamGroup("all", net.namedParameters(), 0.01, 1e-4)), 0.9, 0, false);
        Batch batch;
        try (DataLoader loader = DataLoader.builder(data, Pipeline.train(pre, Augment.LIGHT, 32)).batchSize(32)
                .sampler(SamplerKind.SHUFFLE).seed(1).build()) {
            batch = loader.epoch(0).next();
        }
        long start = 0;
        int steps = 120;
        int warmup = 40;
        for (int i = 0; i < steps; i++) {
            if (i == warmup) {
                start = System.nanoTime();
            }
            Tensor loss = Functional.crossEntropy(net.forward(batch.images()), batch.labels(), null, 0,
                    Reduction.MEAN);
            sgd.zeroGrad();
            loss.backward();
            sgd.step();
        }
        return (steps - warmup) * 32 / ((System.nanoTime() - start) / 1e9);
    }
}
