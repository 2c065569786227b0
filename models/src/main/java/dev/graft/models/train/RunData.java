package dev.graft.models.train;

import dev.graft.models.ModelRegistry;
import dev.graft.models.Preprocessing;
import dev.graft.models.data.DataLoader;
import dev.graft.models.data.ImageDataset;
import dev.graft.models.data.ImageFolder;
import dev.graft.models.data.Pipeline;
import dev.graft.models.data.SamplerKind;
import dev.graft.models.data.StratifiedSplit;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The datasets and loaders of a run: training images with the configured augmentation and sampler, validation
 * images (a folder, a stratified split, or none) with the evaluation transform, and, for the feature cache, the
 * training images in order with the deterministic transform.
 */
final class RunData implements AutoCloseable {
    private final ImageDataset trainSet;
    private final ImageDataset valSet;
    private final Pipeline trainPipeline;
    private final DataLoader train;
    private final DataLoader val;
    private final DataLoader trainFeatures;
    private final String summary;

    private RunData(ImageDataset trainSet, ImageDataset valSet, Pipeline trainPipeline, DataLoader train,
                    DataLoader val, DataLoader trainFeatures, String summary) {
        this.trainSet = trainSet;
        this.valSet = valSet;
        this.trainPipeline = trainPipeline;
        this.train = train;
        this.val = val;
        this.trainFeatures = trainFeatures;
        this.summary = summary;
    }

    static RunData load(TrainConfig c, TrainingListener listener) throws IOException {
        ImageDataset all = ImageFolder.scan(c.data());
        ImageDataset trainSet = all;
        ImageDataset valSet = null;
        String valSource = "no validation";
        if (c.val() != null) {
            valSet = ImageFolder.scan(c.val());
            if (!valSet.classes().equals(all.classes())) {
                throw new IllegalArgumentException("--val " + c.val() + " has classes " + valSet.classes()
                        + " but --data " + c.data() + " has " + all.classes());
            }
            valSource = "validation " + c.val();
        } else if (c.valSplit() > 0) {
            var split = StratifiedSplit.split(all, c.valSplit(), c.seed());
            trainSet = split.train();
            valSet = split.val();
            valSource = "validation = stratified " + c.valSplit() + " of the training folder (seed " + c.seed() + ")";
        }
        Preprocessing pre = InputChannels.rgbPreprocessing(
                RunModel.preprocessing(ModelRegistry.get(c.arch()).preprocessing(), c.imageSize(),
                        c.inChannels() == 0 ? 3 : c.inChannels()));
        Pipeline trainPipeline = Pipeline.train(pre, c.augment(), pre.inputSize());
        Pipeline evalPipeline = Pipeline.eval(pre, pre.inputSize());
        int workers = c.workers();
        DataLoader train = loader(trainSet, trainPipeline, c, c.sampler(), trainSet.size() > c.batch(), workers,
                listener);
        DataLoader val = valSet == null ? null
                : loader(valSet, evalPipeline, c, SamplerKind.SEQUENTIAL, false, workers, listener);
        DataLoader features = loader(trainSet, trainPipeline, c, SamplerKind.SEQUENTIAL, false, workers, listener);
        String summary = String.format("data: %d training images in %d classes %s from %s; %s%s; images %d×%d, "
                        + "augment %s, sampler %s", trainSet.size(), all.classes().size(), all.classes(), c.data(),
                valSource, valSet == null ? "" : " (" + valSet.size() + " images)", pre.inputSize(), pre.inputSize(),
                TrainConfig.lower(c.augment()), TrainConfig.lower(c.sampler()));
        return new RunData(trainSet, valSet, trainPipeline, train, val, features, summary);
    }

    private static DataLoader loader(ImageDataset data, Pipeline pipeline, TrainConfig c, SamplerKind sampler,
                                     boolean dropLast, int workers, TrainingListener listener) {
        DataLoader.Builder b = DataLoader.builder(data, pipeline).batchSize(c.batch()).sampler(sampler)
                .dropLast(dropLast).seed(c.seed()).onWarning(listener::warn);
        return (workers > 0 ? b.workers(workers) : b).build();
    }

    List<String> classes() {
        return trainSet.classes();
    }

    ImageDataset trainSet() {
        return trainSet;
    }

    /** Null without validation. */
    ImageDataset valSet() {
        return valSet;
    }

    Pipeline trainPipeline() {
        return trainPipeline;
    }

    DataLoader train() {
        return train;
    }

    /** Null without validation. */
    DataLoader val() {
        return val;
    }

    /** What the transformed validation images take in memory (training and evaluation images are alike in size). */
    long valImageBytes() {
        return valSet == null ? 0 : (long) valSet.size() * trainPipeline.channels() * trainPipeline.imageSize()
                * trainPipeline.imageSize() * Float.BYTES;
    }

    DataLoader trainFeatures() {
        return trainFeatures;
    }

    /** Distinct unreadable files met by any loader so far. */
    int skippedFiles() {
        return (int) Stream.of(train, trainFeatures, val)
                .filter(Objects::nonNull)
                .flatMap(l -> l.skippedReports().stream())
                .distinct().count();
    }

    String summary() {
        return summary;
    }

    @Override
    public void close() {
        train.close();
        trainFeatures.close();
        if (val != null) {
            val.close();
        }
    }
}
