package dev.graft.models.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.engine.Functional;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Reduction;
import dev.graft.engine.Tensor;
import dev.graft.engine.cpu.StepMemory;
import dev.graft.engine.nn.Parameter;
import dev.graft.engine.optim.Adam;
import dev.graft.engine.optim.AdamW;
import dev.graft.engine.optim.GradClip;
import dev.graft.engine.optim.LrSchedule;
import dev.graft.engine.optim.Optimizer;
import dev.graft.engine.optim.ParamGroup;
import dev.graft.engine.optim.Sgd;
import dev.graft.models.ImageClassifier;
import dev.graft.models.bundle.BundleMetadata;
import dev.graft.models.bundle.LoadOptions;
import dev.graft.models.bundle.ModelBundle;
import dev.graft.models.bundle.WeightsException;
import dev.graft.models.data.Batch;
import dev.graft.models.data.Sample;
import dev.graft.models.report.ClassificationMetrics;
import dev.graft.models.report.EpochRecord;
import dev.graft.models.report.TrainingReport;
import dev.graft.models.resnet.StagedNetwork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.stream.IntStream;

/**
 * Runs a transfer-learning job: {@link RunData} and {@link RunModel} set it up, then each epoch trains (on
 * cached backbone features when the backbone is frozen), validates, appends to {@code metrics.jsonl}, saves
 * the best model as a bundle and the {@code last} checkpoint, and checks early stopping. Everything is written
 * atomically into the run folder, so an interrupted run leaves the last complete epoch behind, and
 * {@code resume} continues from it to the numbers the uninterrupted run would have reached.
 */
public final class Trainer {
    static final String BEST = "best.safetensors";
    static final String LAST = "last.safetensors";
    static final String METRICS = "metrics.jsonl";
    static final String REPORT = "report.html";
    private static final long CACHE_MEMORY_BYTES = 1L << 30;
    /**
     * Validation images are transformed deterministically, so a validation set that fits in this many bytes is
     * decoded once and kept for the later epochs.
     */
    private static final long VAL_IMAGES_BYTES = 256L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainConfig config;
    private final TrainingListener listener;
    private final RunData data;
    private final RunModel model;
    private final StagedNetwork network;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final Tensor classWeights;
    private final int stepsPerEpoch;
    /**
     * Training steps (forward and backward; the optimizer's state is made outside) and validation batches reuse
     * the arrays of the step before.
     */
    private final StepMemory memory = new StepMemory();
    /** Validation metrics of the best epoch this process ran; null before one, or without validation. */
    private ClassificationMetrics bestVal;
    /** Optimizer steps taken so far, the schedule's clock. */
    private long step;
    /** The validation batches once decoded, when they fit in {@link #VAL_IMAGES_BYTES}; null before. */
    private List<Batch> valImages;

    private Trainer(TrainConfig config, TrainingListener listener) throws IOException, WeightsException {
        this.config = config;
        this.listener = listener;
        this.data = RunData.load(config, listener);
        this.model = RunModel.build(config, data.classes().size());
        this.network = model.network();
        List<ParamGroup> groups = ParamGroups.build(network, config.lr(), config.weightDecay(),
                config.backboneLrMult(), config.layerDecay(), false);
        this.optimizer = optimizer(config, groups);
        this.stepsPerEpoch = data.train().batchesPerEpoch();
        long total = (long) stepsPerEpoch * config.epochs();
        long warmup = Math.round(config.warmupEpochs() * stepsPerEpoch);
        this.schedule = switch (config.schedule()) {
            case CONSTANT -> warmup == 0 ? LrSchedule.constant() : LrSchedule.cosine(total, warmup, 1);
            // ×0.1 after each third of the run.
            case STEP -> LrSchedule.step(Math.max(1, total / 3), 0.1);
            case COSINE -> LrSchedule.cosine(total, warmup, 0);
            case ONECYCLE -> LrSchedule.oneCycle(total, 0.3, 25, 1e4);
        };
        this.classWeights = config.classWeights()
                ? ClassWeights.inverseFrequency(data.trainSet().classCounts()).to(model.device()) : null;
    }

    /** The configured optimizer over {@code groups}: PyTorch's defaults for Adam's betas and eps. */
    static Optimizer optimizer(TrainConfig config, List<ParamGroup> groups) {
        return switch (config.optimizer()) {
            case SGD -> new Sgd(groups, config.momentum(), 0, config.nesterov());
            case ADAM -> new Adam(groups, 0.9, 0.999, 1e-8);
            case ADAMW -> new AdamW(groups, 0.9, 0.999, 1e-8);
        };
    }

    /** The configured training loss, averaged over the batch. */
    static Tensor loss(TrainConfig config, Tensor classWeights, Tensor logits, Tensor labels) {
        return switch (config.loss()) {
            case CE -> Functional.crossEntropy(logits, labels, classWeights, config.labelSmoothing(), Reduction.MEAN);
            case FOCAL -> Functional.focalLoss(logits, labels, classWeights, config.focalGamma(), Reduction.MEAN);
        };
    }

    /** Trains as {@code config} says; see {@link TrainingResult}. */
    public static TrainingResult run(TrainConfig config, TrainingListener listener) throws IOException, WeightsException {
        Files.createDirectories(config.out());
        Trainer trainer = new Trainer(config, listener);
        try {
            return trainer.train(false);
        } finally {
            trainer.data.close();
        }
    }

    /** Continues the run in {@code config.out()} from its {@code last} checkpoint; the settings must be the same. */
    public static TrainingResult resume(TrainConfig config, TrainingListener listener) throws IOException, WeightsException {
        Trainer trainer = new Trainer(config, listener);
        try {
            return trainer.train(true);
        } finally {
            trainer.data.close();
        }
    }

    private TrainingResult train(boolean resume) throws IOException {
        Path out = config.out();
        List<EpochRecord> history = new ArrayList<>();
        int startEpoch = 0;
        int bestEpoch = 0;
        double bestAccuracy = Double.NEGATIVE_INFINITY;
        int stale = 0;
        if (resume) {
            RunCheckpoint ckpt = RunCheckpoint.read(out.resolve(LAST));
            checkFingerprint(ckpt.fingerprint());
            config.unfreezeSchedule().applyThrough(ckpt.epochsDone(), network);
            try (var _ = NoGrad.enter()) {
                network.loadStateDict(ckpt.model(), true);
            }
            optimizer.loadStateDict(ckpt.optimizer());
            history.addAll(ckpt.history());
            startEpoch = ckpt.epochsDone();
            step = ckpt.step();
            bestEpoch = ckpt.bestEpoch();
            bestAccuracy = ckpt.bestAccuracy();
            stale = ckpt.staleEpochs();
            listener.log("resuming " + out.resolve(LAST) + " after epoch " + startEpoch + " of " + config.epochs());
        }
        rewriteMetrics(history);
        listener.log(data.summary());
        listener.log("model: " + config.arch() + " from " + model.source() + "; strategy " + config.strategy()
                + ", trainable " + model.trainable() + ", " + network.trainableParameterCount() + " of "
                + network.parameterCount() + " parameters");

        FeatureCache trainCache = null;
        FeatureCache valCache = null;
        boolean cached = cacheApplies();
        if (!cached && backboneFrozen() && !data.trainPipeline().deterministic()) {
            listener.log("the backbone is frozen but --augment " + TrainConfig.lower(config.augment()) + " is random, so "
                    + "its features are computed every epoch; --augment none would compute them once");
        }
        double firstEpochSeconds = Double.NaN;
        double laterSeconds = 0;
        int laterEpochs = 0;
        double trainSeconds = 0;
        long trainImages = 0;
        // A run that had already stopped early stays stopped when resumed.
        boolean stoppedEarly = config.earlyStop() > 0 && stale >= config.earlyStop();
        try {
            for (int epoch = startEpoch; epoch < config.epochs() && !stoppedEarly; epoch++) {
                long epochStart = System.nanoTime();
                List<String> unfrozen = config.unfreezeSchedule().applyThrough(epoch + 1, network);
                if (!unfrozen.isEmpty()) {
                    listener.log("epoch " + (epoch + 1) + ": unfreezing " + unfrozen + "; now "
                            + network.trainableParameterCount() + " trainable parameters");
                }
                if (cached && trainCache == null) {
                    trainCache = FeatureCache.compute(network, model.device(), data.trainFeatures(), data.trainSet().size(),
                            out.resolve("features-train.bin"), CACHE_MEMORY_BYTES);
                    if (data.val() != null) {
                        valCache = FeatureCache.compute(network, model.device(), data.val(), data.valSet().size(),
                                out.resolve("features-val.bin"), CACHE_MEMORY_BYTES);
                    }
                    listener.log(String.format(Locale.ROOT, "feature cache: backbone features of %d images computed "
                                    + "in %.1f s (%s); later epochs train only the head", data.trainSet().size()
                                    + (data.val() == null ? 0 : data.valSet().size()), trainCache.secondsToCompute()
                                    + (valCache == null ? 0 : valCache.secondsToCompute()),
                            trainCache.onDisk() ? "on disk" : "in memory"));
                }
                EpochTotals totals = trainEpoch(epoch, trainCache, epochStart);
                double trainPart = (System.nanoTime() - epochStart) / 1e9;
                Validation val = validate(valCache);
                double seconds = (System.nanoTime() - epochStart) / 1e9;
                trainSeconds += seconds;
                trainImages += totals.images;
                if (epoch == startEpoch) {
                    firstEpochSeconds = seconds;
                } else {
                    laterSeconds += seconds;
                    laterEpochs++;
                }
                EpochRecord record = new EpochRecord(epoch + 1, totals.meanLoss(), totals.accuracy(),
                        val == null ? Double.NaN : val.loss(), val == null ? Double.NaN : val.metrics().accuracy(),
                        optimizer.groups().getLast().lr(), seconds, totals.images / trainPart, trainableStages());
                history.add(record);
                double score = val == null ? totals.accuracy() : val.metrics().accuracy();
                if (score > bestAccuracy) {
                    bestAccuracy = score;
                    bestVal = val == null ? null : val.metrics();
                    bestEpoch = epoch + 1;
                    stale = 0;
                    ModelBundle.write(out.resolve(BEST), network, bundleMetadata());
                } else {
                    stale++;
                }
                new RunCheckpoint(epoch + 1, step, bestEpoch, bestAccuracy, stale, history, config.fingerprint(),
                        network.stateDict(), optimizer.stateDict()).write(out.resolve(LAST));
                appendMetrics(record);
                listener.epochEnded(record, val == null ? null : val.metrics());
                if (config.earlyStop() > 0 && stale >= config.earlyStop() && epoch + 1 < config.epochs()) {
                    listener.log("early stop: no better validation accuracy for " + stale + " epochs; best was epoch "
                            + bestEpoch);
                    stoppedEarly = true;
                }
            }
        } finally {
            closeAll(trainCache, valCache);
        }
        if (bestVal == null && data.val() != null) {
            bestVal = bestModelMetrics(); // the best epoch ran before a resume
        }
        writeReport(history, bestEpoch, bestVal);
        EpochRecord last = history.getLast();
        return new TrainingResult(last.valAccuracy(), data.val() == null ? Double.NaN : bestAccuracy, bestEpoch,
                history.size(), trainSeconds, trainImages / Math.max(trainSeconds, 1e-9),
                network.trainableParameterCount(), data.skippedFiles(), out.resolve(BEST), out.resolve(LAST),
                out.resolve(REPORT), out.resolve(METRICS), cached,
                laterEpochs == 0 || !cached ? Double.NaN : firstEpochSeconds / (laterSeconds / laterEpochs),
                stoppedEarly, history);
    }

    /** One epoch of optimizer steps, on the loader's batches or on cached features; the step counter advances. */
    private EpochTotals trainEpoch(int epoch, FeatureCache cache, long epochStart) {
        network.train();
        network.reseedDropout(epochSeed(epoch));
        EpochTotals totals = new EpochTotals();
        listener.epochStarted(epoch + 1, config.epochs(), stepsPerEpoch);
        Iterator<Batch> batches = cache != null
                ? cachedBatches(cache, data.train().order(epoch), data.train().dropLast(), data.trainSet().samples())
                : data.train().epoch(epoch);
        while (batches.hasNext()) {
            Batch b = onDevice(batches.next());
            schedule.apply(optimizer, step);
            try (var _ = memory.step(model.device(), network::stateTensors)) {
                Tensor logits = cache != null ? network.head().forward(b.images())
                        : network.forward(input(b.images()));
                Tensor loss = loss(logits, b.labels());
                double value = loss.item();
                if (!Double.isFinite(value)) {
                    throw new NonFiniteLossException(String.format(Locale.ROOT, "epoch %d, batch %d: the loss is %s"
                                    + " (learning rate %.3g); stopping. The last good checkpoint is %s%s", epoch + 1,
                            totals.batches + 1, value, optimizer.groups().getLast().lr(), config.out().resolve(LAST),
                            epoch == 0 ? " (none yet: this was the first epoch)" : " (epoch " + epoch + ")"));
                }
                totals.add(value, logits, b.labels());
                optimizer.zeroGrad();
                loss.backward();
            }
            if (config.gradClip() > 0) {
                GradClip.clipGradNorm(network.parameters().stream().filter(Parameter::isTrainable).toList(),
                        config.gradClip());
            }
            optimizer.step();
            step++;
            listener.stepEnded(network, step);
            listener.batchEnded(totals.batches, totals.meanLoss(), totals.accuracy(), totals.images,
                    (System.nanoTime() - epochStart) / 1e9);
        }
        return totals;
    }

    /** Frozen backbone, deterministic inputs, running BatchNorm statistics: features are a function of the image. */
    private boolean cacheApplies() {
        return config.featureCache() && backboneFrozen() && config.unfreezeSchedule().isEmpty()
                && data.trainPipeline().deterministic() && !config.frozenBnBatchStats();
    }

    private boolean backboneFrozen() {
        String head = network.headName();
        return network.stages().keySet().stream()
                .filter(s -> !s.equals(head))
                .allMatch(s -> network.stageParameters(s).values().stream().noneMatch(Parameter::isTrainable));
    }

    /**
     * The batches a loader visiting {@code order} would give, as cached features: the same positions per batch
     * (the last one dropped if the loader drops it), rows without features left out, the same labels.
     */
    private Iterator<Batch> cachedBatches(FeatureCache cache, int[] order, boolean dropLast, List<Sample> samples) {
        int batch = config.batch();
        int full = dropLast ? order.length / batch * batch : order.length;
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < full; i += batch) {
            int[] rows = Arrays.stream(order, i, Math.min(i + batch, full)).filter(cache::has).toArray();
            if (rows.length > 0) {
                long[] y = Arrays.stream(rows).mapToLong(r -> samples.get(r).label()).toArray();
                batches.add(new Batch(cache.rows(rows), Tensor.ofLongs(y, rows.length), rows));
            }
        }
        return batches.iterator();
    }

    private record Validation(double loss, ClassificationMetrics metrics) {
    }

    /** Loss and metrics on the validation set in evaluation mode; null without validation data. */
    private Validation validate(FeatureCache valCache) {
        if (data.val() == null) {
            return null;
        }
        ClassificationMetrics metrics = new ClassificationMetrics(data.classes());
        double lossSum = 0;
        long n = 0;
        network.eval();
        try (var _ = NoGrad.enter()) {
            boolean keep = valCache == null && valImages == null && data.valImageBytes() <= VAL_IMAGES_BYTES;
            List<Batch> kept = keep ? new ArrayList<>() : null;
            Iterator<Batch> it = valCache != null
                    ? cachedBatches(valCache, IntStream.range(0, data.valSet().size()).toArray(), false,
                            data.valSet().samples())
                    : valImages != null ? valImages.iterator() : data.val().epoch(0);
            while (it.hasNext()) {
                Batch b = onDevice(it.next());
                if (kept != null) {
                    kept.add(b);
                }
                try (var _ = memory.step(model.device(), network::stateTensors)) {
                    Tensor logits = valCache != null ? network.head().forward(b.images())
                            : network.forward(input(b.images()));
                    lossSum += loss(logits, b.labels()).item() * b.labels().numel();
                    n += b.labels().numel();
                    metrics.add(logits, b.labels());
                }
            }
            if (kept != null) {
                valImages = kept;
            }
        } finally {
            network.train();
        }
        return new Validation(lossSum / Math.max(1, n), metrics);
    }

    /** The saved best bundle evaluated, for the report of a resumed run whose best epoch ran before. */
    private ClassificationMetrics bestModelMetrics() throws IOException {
        try {
            return ImageClassifier.load(config.out().resolve(BEST), LoadOptions.defaults(), model.device())
                    .evaluate(data.valSet(), listener::warn);
        } catch (WeightsException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The batch on the network's backend (the loader and the feature cache produce CPU tensors). */
    private Batch onDevice(Batch b) {
        return new Batch(b.images().to(model.device()), b.labels().to(model.device()), b.indices());
    }

    private Tensor input(Tensor rgb) {
        return InputChannels.fromRgb(rgb, model.preprocessing().channels());
    }

    private Tensor loss(Tensor logits, Tensor labels) {
        return loss(config, classWeights, logits, labels);
    }

    private long epochSeed(int epoch) {
        return config.seed() * 1_000_003L + epoch;
    }

    private List<String> trainableStages() {
        return network.stages().keySet().stream().filter(network::isStageTrainable).toList();
    }

    private BundleMetadata bundleMetadata() {
        return new BundleMetadata(config.arch(), data.classes().size(), data.classes(), model.preprocessing(),
                null, config.weights() == null ? null : config.weights().getFileName().toString(),
                ModelBundle.graftVersion(), network.headSpec());
    }

    private void checkFingerprint(Map<String, String> saved) {
        Map<String, String> now = config.fingerprint();
        List<String> differences = new ArrayList<>();
        now.forEach((k, v) -> {
            if (!v.equals(saved.get(k))) {
                differences.add(k + " was " + saved.get(k) + ", now " + v);
            }
        });
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("--resume: " + config.out().resolve(LAST) + " was written with other "
                    + "settings (" + String.join("; ", differences) + "); resume with the same ones");
        }
    }

    private void rewriteMetrics(List<EpochRecord> history) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (EpochRecord r : history) {
            sb.append(JSON.writeValueAsString(r)).append('\n');
        }
        Files.writeString(config.out().resolve(METRICS), sb);
    }

    private void appendMetrics(EpochRecord record) throws IOException {
        Files.writeString(config.out().resolve(METRICS), JSON.writeValueAsString(record) + "\n",
                StandardOpenOption.APPEND, StandardOpenOption.CREATE);
    }

    private void writeReport(List<EpochRecord> history, int bestEpoch, ClassificationMetrics bestVal) throws IOException {
        SequencedMap<String, String> info = new LinkedHashMap<>();
        info.put("arch", config.arch());
        info.put("weights", model.source());
        info.put("strategy", config.strategy().toString());
        info.put("data", data.summary());
        config.fingerprint().forEach((k, v) -> info.putIfAbsent(k, v));
        info.put("trainable parameters", Long.toString(network.trainableParameterCount()));
        info.put("skipped files", Integer.toString(data.skippedFiles()));
        TrainingReport.write(config.out().resolve(REPORT), "graft train: " + config.arch() + ", "
                + config.strategy(), info, history, bestEpoch, bestVal);
    }

    private static void closeAll(FeatureCache... caches) throws IOException {
        for (FeatureCache c : caches) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** Running loss and accuracy of an epoch. */
    private static final class EpochTotals {
        int batches;
        long images;
        long correct;
        double lossSum;

        void add(double loss, Tensor logits, Tensor labels) {
            int n = labels.numel();
            long[] predicted = logits.argmax(1, false).toLongArray();
            long[] truth = labels.toLongArray();
            for (int i = 0; i < n; i++) {
                if (predicted[i] == truth[i]) {
                    correct++;
                }
            }
            batches++;
            images += n;
            lossSum += loss * n;
        }

        double meanLoss() {
            return images == 0 ? Double.NaN : lossSum / images;
        }

        double accuracy() {
            return images == 0 ? Double.NaN : (double) correct / images;
        }
    }
}
