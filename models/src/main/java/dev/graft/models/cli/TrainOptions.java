package dev.graft.models.cli;

import dev.graft.models.ModelRegistry;
import dev.graft.models.data.Augment;
import dev.graft.models.data.SamplerKind;
import dev.graft.models.resnet.HeadSpec;
import dev.graft.models.train.Strategy;
import dev.graft.models.train.TrainConfig;
import dev.graft.models.train.UnfreezeSchedule;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;

/** The options that define a training run, shared by {@code graft train} and {@code graft lr-find}. */
final class TrainOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Training images, DIR/CLASS/*.jpg.")
    private Path data;
    @Option(names = "--val", paramLabel = "DIR", description = "Validation images with the same classes.")
    private Path val;
    @Option(names = "--val-split", paramLabel = "F", defaultValue = "0",
            description = "Without --val: hold out this fraction of each class (stratified, seeded). Default: none.")
    private double valSplit;
    @Option(names = "--arch", required = true, paramLabel = "NAME", completionCandidates = ModelOptions.ArchNames.class,
            description = "Architecture: ${COMPLETION-CANDIDATES}.")
    private String arch;
    @Option(names = "--weights", required = true, paramLabel = "FILE|none",
            description = "Pretrained weights (bundle or PyTorch/timm checkpoint), or 'none' for --strategy scratch.")
    private String weights;
    @Option(names = "--strategy", defaultValue = "fine-tune", paramLabel = "S",
            description = "feature-extract, fine-tune, full or scratch (default: ${DEFAULT-VALUE}).")
    private String strategy;
    @Option(names = "--unfreeze", split = ",", paramLabel = "STAGE",
            description = "fine-tune: the stages to train besides the head (default: the last one), e.g. layer4,layer3.")
    private List<String> unfreeze = List.of();
    @Option(names = "--unfreeze-schedule", paramLabel = "E:STAGE,...",
            description = "Gradual unfreezing: make STAGE trainable from epoch E on, e.g. \"3:layer4,6:layer3\".")
    private String unfreezeSchedule;
    @Option(names = "--epochs", defaultValue = "10", description = "Default: ${DEFAULT-VALUE}.")
    private int epochs;
    @Option(names = "--batch", defaultValue = "32", description = "Default: ${DEFAULT-VALUE}.")
    private int batch;
    @Option(names = "--lr", defaultValue = "0.01", description = "Learning rate of the head (default: ${DEFAULT-VALUE}).")
    private double lr;
    @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd, adam or adamw (default: ${DEFAULT-VALUE}).")
    private String optimizer;
    @Option(names = "--nesterov", description = "Nesterov momentum for sgd.")
    private boolean nesterov;
    @Option(names = "--schedule", defaultValue = "cosine",
            description = "constant, step (x0.1 at each third), cosine or onecycle, per step (default: ${DEFAULT-VALUE}).")
    private String schedule;
    @Option(names = "--warmup", defaultValue = "0", paramLabel = "EPOCHS",
            description = "Linear warm-up in epochs, fractions allowed (cosine and constant).")
    private double warmup;
    @Option(names = "--weight-decay", defaultValue = "1e-4",
            description = "Not applied to biases and BatchNorm (default: ${DEFAULT-VALUE}).")
    private double weightDecay;
    @Option(names = "--momentum", defaultValue = "0.9", description = "sgd momentum (default: ${DEFAULT-VALUE}).")
    private double momentum;
    @Option(names = "--label-smoothing", defaultValue = "0", paramLabel = "EPS",
            description = "Label smoothing of the cross-entropy, in [0, 1) (default: ${DEFAULT-VALUE}).")
    private double labelSmoothing;
    @Option(names = "--loss", defaultValue = "ce", description = "ce or focal (default: ${DEFAULT-VALUE}).")
    private String loss;
    @Option(names = "--focal-gamma", defaultValue = "2", description = "Default: ${DEFAULT-VALUE}.")
    private double focalGamma;
    @Option(names = "--class-weights", defaultValue = "none",
            description = "auto (inverse class frequency) or none (default: ${DEFAULT-VALUE}).")
    private String classWeights;
    @Option(names = "--sampler", defaultValue = "shuffle",
            description = "shuffle or balanced (classes drawn equally often) (default: ${DEFAULT-VALUE}).")
    private String sampler;
    @Option(names = "--augment", defaultValue = "light", description = "standard, light or none (default: ${DEFAULT-VALUE}).")
    private String augment;
    @Option(names = "--image-size", defaultValue = "0", paramLabel = "N",
            description = "Crop size; the resize size scales with it. Default: the architecture's.")
    private int imageSize;
    @Option(names = "--in-channels", defaultValue = "0", paramLabel = "K",
            description = {"Input channels. 1: grey images (luma), the pretrained first convolution summed over RGB.",
                    "K > 3 (through the API): the RGB kernels repeated cyclically and scaled by 3/K. Default: 3."})
    private int inChannels;
    @Option(names = "--backbone-lr-mult", defaultValue = "1", paramLabel = "M",
            description = "Learning-rate factor of every backbone stage (default: ${DEFAULT-VALUE}).")
    private double backboneLrMult;
    @Option(names = "--layer-decay", defaultValue = "1", paramLabel = "D",
            description = "Stage k steps below the head trains at lr x D^k (default: ${DEFAULT-VALUE}).")
    private double layerDecay;
    @Option(names = "--frozen-bn", defaultValue = "running-stats",
            description = "Frozen BatchNorm: running-stats (kept) or batch-stats (as PyTorch's train mode).")
    private String frozenBn;
    @Option(names = "--head-hidden", defaultValue = "0", paramLabel = "H", description = "Hidden layer width of the head.")
    private int headHidden;
    @Option(names = "--head-dropout", defaultValue = "0", paramLabel = "P", description = "Dropout before the last Linear.")
    private double headDropout;
    @Option(names = "--grad-clip", defaultValue = "0", paramLabel = "NORM", description = "Clip the gradient norm.")
    private double gradClip;
    @Option(names = "--early-stop", defaultValue = "0", paramLabel = "PATIENCE",
            description = "Stop after this many epochs without a better validation accuracy.")
    private int earlyStop;
    @Option(names = "--no-feature-cache", negatable = false,
            description = "Run the frozen backbone every epoch instead of caching its features.")
    private boolean noFeatureCache;
    @Option(names = "--seed", defaultValue = "0",
            description = "Seeds data order, augmentation, the split, the head and dropout (default: ${DEFAULT-VALUE}).")
    private long seed;
    @Mixin
    private ComputeOptions compute;
    @Option(names = "--workers", defaultValue = "0",
            description = "Batches of images prepared at once, on the compute threads, which always keep one for the"
                    + " model (default: threads - 1; with one thread, each batch is prepared when it is needed).")
    private int workers;
    ComputeOptions compute() {
        return compute;
    }

    /** The run these options describe, writing into {@code folder}; bad values are usage errors. */
    TrainConfig config(Path folder) {
        try {
            Strategy.Kind kind = Strategy.Kind.parse(strategy);
            if (!ModelRegistry.names().contains(arch)) {
                throw new IllegalArgumentException("unknown architecture '" + arch + "' for --arch; known: "
                        + String.join(", ", ModelRegistry.names()));
            }
            return TrainConfig.builder(data, arch, folder)
                    .val(val).valSplit(valSplit)
                    .weights("none".equals(weights) ? null : Path.of(weights))
                    .strategy(new Strategy(kind, unfreeze))
                    .unfreezeSchedule(UnfreezeSchedule.parse(unfreezeSchedule))
                    .epochs(epochs).batch(batch).lr(lr)
                    .optimizer(Choices.parse("--optimizer", optimizer, TrainConfig.OptimizerKind.class))
                    .nesterov(nesterov)
                    .schedule(Choices.parse("--schedule", schedule, TrainConfig.ScheduleKind.class))
                    .warmupEpochs(warmup).weightDecay(weightDecay).momentum(momentum).labelSmoothing(labelSmoothing)
                    .loss(Choices.parse("--loss", loss, TrainConfig.LossKind.class)).focalGamma(focalGamma)
                    .classWeights(Choices.oneOf("--class-weights", classWeights, "auto", "none").equals("auto"))
                    .sampler(Choices.oneOf("--sampler", sampler, "shuffle", "balanced").equals("balanced")
                            ? SamplerKind.BALANCED : SamplerKind.SHUFFLE)
                    .augment(Choices.parse("--augment", augment, Augment.class))
                    .imageSize(imageSize).inChannels(inChannels)
                    .backboneLrMult(backboneLrMult).layerDecay(layerDecay)
                    .frozenBnBatchStats(Choices.oneOf("--frozen-bn", frozenBn, "running-stats", "batch-stats")
                            .equals("batch-stats"))
                    .head(new HeadSpec(headHidden, headDropout))
                    .gradClip(gradClip).earlyStop(earlyStop).featureCache(!noFeatureCache)
                    .seed(seed).workers(workers).device(compute.device)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
