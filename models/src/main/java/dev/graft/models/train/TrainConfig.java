package dev.graft.models.train;

import dev.graft.models.data.Augment;
import dev.graft.models.data.SamplerKind;
import dev.graft.models.resnet.HeadSpec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Everything a transfer run needs; {@link #builder} starts from the defaults the {@code graft train} command
 * documents. Validated on {@link Builder#build()}: each bad value is named with the option that sets it.
 *
 * @param data            training images, one folder per class
 * @param val             validation images (same classes), or null to split {@code valSplit} off the training set
 * @param valSplit        fraction of each class held out when {@code val} is null; 0 for no validation
 * @param weights         pretrained weights (any file {@code graft convert} reads), or null for none
 * @param warmupEpochs    linear warm-up length in epochs (fractions allowed), for the cosine schedule
 * @param imageSize       crop size; 0 for the architecture's own
 * @param inChannels      input channels of the network; 0 for the architecture's own (3)
 * @param earlyStop       epochs without a better validation accuracy before stopping; 0 never stops early
 * @param gradClip        maximum gradient L2 norm; 0 for none
 * @param workers         batches of images prepared at once on the compute threads; 0 for the default
 * @param featureCache    cache backbone features when the backbone is frozen and the input deterministic
 * @param device          the backend that computes ({@code cpu}, {@code cuda}); not part of the fingerprint, so
 *                        a run may resume on another device
 */
public record TrainConfig(Path data, Path val, double valSplit, String arch, Path weights, Strategy strategy,
                          UnfreezeSchedule unfreezeSchedule, int epochs, int batch, double lr, OptimizerKind optimizer,
                          ScheduleKind schedule, double warmupEpochs, double weightDecay, double momentum, boolean nesterov,
                          double labelSmoothing, LossKind loss, double focalGamma, boolean classWeights,
                          SamplerKind sampler, Augment augment, int imageSize, long seed, Path out,
                          int earlyStop, double backboneLrMult, double layerDecay, boolean frozenBnBatchStats,
                          HeadSpec head, int inChannels, double gradClip, int workers, boolean featureCache,
                          String device) {

    public enum OptimizerKind { SGD, ADAM, ADAMW }

    public enum ScheduleKind { CONSTANT, STEP, COSINE, ONECYCLE }

    public enum LossKind { CE, FOCAL }

    public TrainConfig {
        require(data != null, "--data is required");
        require(arch != null, "--arch is required");
        require(out != null, "--out is required");
        require(strategy != null && unfreezeSchedule != null && optimizer != null && schedule != null && loss != null
                && sampler != null && augment != null && head != null, "null option");
        require(valSplit >= 0 && valSplit < 1, "--val-split must be in [0, 1), got " + valSplit);
        require(val == null || valSplit == 0, "--val and --val-split exclude each other");
        require(strategy.pretrained() == (weights != null), strategy.pretrained()
                ? "strategy " + strategy.kind().label() + " starts from pretrained weights: give --weights FILE"
                : "strategy scratch trains from random weights: give --weights none, not " + weights);
        require(epochs >= 1, "--epochs must be >= 1, got " + epochs);
        require(batch >= 1, "--batch must be >= 1, got " + batch);
        require(lr > 0 && Double.isFinite(lr), "--lr must be > 0, got " + lr);
        require(warmupEpochs >= 0 && warmupEpochs <= epochs, "--warmup must be in [0, epochs], got " + warmupEpochs);
        require(weightDecay >= 0, "--weight-decay must be >= 0, got " + weightDecay);
        require(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got " + momentum);
        require(labelSmoothing >= 0 && labelSmoothing < 1, "--label-smoothing must be in [0, 1), got " + labelSmoothing);
        require(focalGamma >= 0, "--focal-gamma must be >= 0, got " + focalGamma);
        require(loss != LossKind.FOCAL || labelSmoothing == 0, "--label-smoothing applies to --loss ce only");
        require(imageSize >= 0, "--image-size must be >= 1, got " + imageSize);
        require(earlyStop >= 0, "--early-stop must be >= 0, got " + earlyStop);
        require(backboneLrMult >= 0, "--backbone-lr-mult must be >= 0, got " + backboneLrMult);
        require(layerDecay > 0 && layerDecay <= 1, "--layer-decay must be in (0, 1], got " + layerDecay);
        require(inChannels >= 0, "--in-channels must be >= 1, got " + inChannels);
        require(gradClip >= 0, "--grad-clip must be >= 0, got " + gradClip);
        require(workers >= 0, "--workers must be >= 0, got " + workers);
        require(device != null && !device.isBlank(), "--device must name a backend, got '" + device + "'");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public static Builder builder(Path data, String arch, Path out) {
        return new Builder(data, arch, out);
    }

    /**
     * The settings that decide the run's numbers, by option name: a resumed run must have the same ones as the
     * run that wrote the checkpoint. Paths count by name only, so a moved run folder still resumes.
     */
    Map<String, String> fingerprint() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("data", data.getFileName().toString());
        m.put("val", val == null ? "" : val.getFileName().toString());
        m.put("val_split", Double.toString(valSplit));
        m.put("arch", arch);
        m.put("weights", weights == null ? "none" : weights.getFileName().toString());
        m.put("strategy", strategy.toString());
        m.put("unfreeze_schedule", unfreezeSchedule.toString());
        m.put("epochs", Integer.toString(epochs));
        m.put("batch", Integer.toString(batch));
        m.put("lr", Double.toString(lr));
        m.put("optimizer", lower(optimizer));
        m.put("schedule", lower(schedule));
        m.put("warmup", Double.toString(warmupEpochs));
        m.put("weight_decay", Double.toString(weightDecay));
        m.put("momentum", Double.toString(momentum));
        m.put("nesterov", Boolean.toString(nesterov));
        m.put("label_smoothing", Double.toString(labelSmoothing));
        m.put("loss", lower(loss));
        m.put("focal_gamma", Double.toString(focalGamma));
        m.put("class_weights", classWeights ? "auto" : "none");
        m.put("sampler", lower(sampler));
        m.put("augment", lower(augment));
        m.put("image_size", Integer.toString(imageSize));
        m.put("seed", Long.toString(seed));
        m.put("backbone_lr_mult", Double.toString(backboneLrMult));
        m.put("layer_decay", Double.toString(layerDecay));
        m.put("frozen_bn", frozenBnBatchStats ? "batch-stats" : "running-stats");
        m.put("head", head.toString());
        m.put("in_channels", Integer.toString(inChannels));
        m.put("grad_clip", Double.toString(gradClip));
        return m;
    }

    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Defaults: see {@code graft train --help}. */
    public static final class Builder {
        private final Path data;
        private final String arch;
        private final Path out;
        private Path val;
        private double valSplit;
        private Path weights;
        private Strategy strategy = Strategy.of(Strategy.Kind.FINE_TUNE);
        private UnfreezeSchedule unfreezeSchedule = UnfreezeSchedule.NONE;
        private int epochs = 10;
        private int batch = 32;
        private double lr = 0.01;
        private OptimizerKind optimizer = OptimizerKind.SGD;
        private ScheduleKind schedule = ScheduleKind.COSINE;
        private double warmupEpochs;
        private double weightDecay = 1e-4;
        private double momentum = 0.9;
        private boolean nesterov;
        private double labelSmoothing;
        private LossKind loss = LossKind.CE;
        private double focalGamma = 2;
        private boolean classWeights;
        private SamplerKind sampler = SamplerKind.SHUFFLE;
        private Augment augment = Augment.LIGHT;
        private int imageSize;
        private long seed;
        private int earlyStop;
        private double backboneLrMult = 1;
        private double layerDecay = 1;
        private boolean frozenBnBatchStats;
        private HeadSpec head = HeadSpec.LINEAR;
        private int inChannels;
        private double gradClip;
        private int workers;
        private boolean featureCache = true;
        private String device = "cpu";

        private Builder(Path data, String arch, Path out) {
            this.data = data;
            this.arch = arch;
            this.out = out;
        }

        public Builder val(Path v) { val = v; return this; }
        public Builder valSplit(double v) { valSplit = v; return this; }
        public Builder weights(Path v) { weights = v; return this; }
        public Builder strategy(Strategy v) { strategy = v; return this; }
        public Builder unfreezeSchedule(UnfreezeSchedule v) { unfreezeSchedule = v; return this; }
        public Builder epochs(int v) { epochs = v; return this; }
        public Builder batch(int v) { batch = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder optimizer(OptimizerKind v) { optimizer = v; return this; }
        public Builder schedule(ScheduleKind v) { schedule = v; return this; }
        public Builder warmupEpochs(double v) { warmupEpochs = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder momentum(double v) { momentum = v; return this; }
        public Builder nesterov(boolean v) { nesterov = v; return this; }
        public Builder labelSmoothing(double v) { labelSmoothing = v; return this; }
        public Builder loss(LossKind v) { loss = v; return this; }
        public Builder focalGamma(double v) { focalGamma = v; return this; }
        public Builder classWeights(boolean v) { classWeights = v; return this; }
        public Builder sampler(SamplerKind v) { sampler = v; return this; }
        public Builder augment(Augment v) { augment = v; return this; }
        public Builder imageSize(int v) { imageSize = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder earlyStop(int v) { earlyStop = v; return this; }
        public Builder backboneLrMult(double v) { backboneLrMult = v; return this; }
        public Builder layerDecay(double v) { layerDecay = v; return this; }
        public Builder frozenBnBatchStats(boolean v) { frozenBnBatchStats = v; return this; }
        public Builder head(HeadSpec v) { head = v; return this; }
        public Builder inChannels(int v) { inChannels = v; return this; }
        public Builder gradClip(double v) { gradClip = v; return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder featureCache(boolean v) { featureCache = v; return this; }
        public Builder device(String v) { device = v; return this; }

        public TrainConfig build() {
            return new TrainConfig(data, val, valSplit, arch, weights, strategy, unfreezeSchedule, epochs, batch, lr,
                    optimizer, schedule, warmupEpochs, weightDecay, momentum, nesterov, labelSmoothing, loss, focalGamma,
                    classWeights, sampler, augment, imageSize, seed, out, earlyStop, backboneLrMult, layerDecay,
                    frozenBnBatchStats, head, inChannels, gradClip, workers, featureCache, device);
        }
    }
}
