package dev.graft.models;

import dev.graft.engine.Backend;
import dev.graft.engine.Backends;
import dev.graft.engine.Functional;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.models.bundle.BundleMetadata;
import dev.graft.models.bundle.LoadOptions;
import dev.graft.models.bundle.LoadedModel;
import dev.graft.models.bundle.WeightsException;
import dev.graft.models.bundle.WeightsLoader;
import dev.graft.models.data.Batch;
import dev.graft.models.data.DataLoader;
import dev.graft.models.data.ImageDataset;
import dev.graft.models.data.Pipeline;
import dev.graft.models.data.SamplerKind;
import dev.graft.models.image.ImageDecoder;
import dev.graft.models.report.ClassificationMetrics;
import dev.graft.models.resnet.StagedNetwork;
import dev.graft.models.train.InputChannels;
import dev.graft.models.train.TrainConfig;
import dev.graft.models.train.Trainer;
import dev.graft.models.train.TrainingListener;
import dev.graft.models.train.TrainingResult;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * graft for JVM applications: a trained (or converted) network ready to classify images and extract their
 * embeddings, and {@link #fineTune} to train one. Images go through the network's own preprocessing (resize,
 * center crop, normalisation from the bundle); the network runs in evaluation mode without autograd.
 *
 * <p>Safe for concurrent callers: after loading nothing mutates the network (evaluation mode reads only
 * weights and running statistics), and each call keeps its state on its own thread.
 *
 * <pre>{@code
 * ImageClassifier model = ImageClassifier.load(Path.of("runs/ants/best.safetensors"));
 * for (ImageClassifier.Prediction p : model.classify(Path.of("bee.jpg"), 2)) {
 *     System.out.println(p.label() + " " + p.probability());
 * }
 * }</pre>
 */
public final class ImageClassifier {
    /** One class of a top-k answer. */
    public record Prediction(int index, String label, double probability) {
    }

    private static final int BATCH = 32;

    private final StagedNetwork network;
    private final Backend device;
    private final BundleMetadata info;
    private final List<String> labels;
    private final Pipeline pipeline;

    private ImageClassifier(LoadedModel loaded, Backend device) {
        this.network = loaded.network();
        this.device = device;
        network.to(device);
        this.info = loaded.info();
        this.labels = info.classNames().isEmpty()
                ? IntStream.range(0, info.numClasses()).mapToObj(Integer::toString).toList() : info.classNames();
        Preprocessing pre = info.preprocessing();
        this.pipeline = Pipeline.eval(InputChannels.rgbPreprocessing(pre), pre.inputSize());
        network.eval();
    }

    /**
     * A graft bundle (as {@code graft train} saves), or any checkpoint with {@code options} naming the arch, computing
     * on {@code device} (e.g. {@code Backends.get("cuda")}).
     */
    public static ImageClassifier load(Path file, LoadOptions options, Backend device)
            throws IOException, WeightsException {
        return new ImageClassifier(WeightsLoader.load(file, options), device);
    }

    /** A graft bundle or checkpoint, on the CPU. */
    public static ImageClassifier load(Path file, LoadOptions options) throws IOException, WeightsException {
        return load(file, options, Backends.cpu());
    }

    /** A graft bundle, on the CPU. */
    public static ImageClassifier load(Path bundle) throws IOException, WeightsException {
        return load(bundle, LoadOptions.defaults());
    }

    /** The backend the network computes on. */
    public Backend device() {
        return device;
    }

    /** Trains a network as the {@code graft train} command does; load the result's {@code bestModel()}. */
    public static TrainingResult fineTune(TrainConfig config, TrainingListener listener)
            throws IOException, WeightsException {
        return Trainer.run(config, listener);
    }

    public List<String> classes() {
        return labels;
    }

    public String arch() {
        return info.arch();
    }

    public Preprocessing preprocessing() {
        return info.preprocessing();
    }

    /** Length of {@link #embed}'s vectors: the backbone's pooled features. */
    public int embeddingSize() {
        return network.featureDim();
    }

    public List<Prediction> classify(BufferedImage image, int k) {
        return topK(probabilities(input(List.of(ImageDecoder.toTensor(image)))), 0, k);
    }

    public List<Prediction> classify(Path file, int k) throws IOException {
        return classifyAll(List.of(file), k).getFirst();
    }

    /** An encoded image (JPEG, PNG, GIF, BMP). */
    public List<Prediction> classify(byte[] encoded, int k) throws IOException {
        return topK(probabilities(input(List.of(ImageDecoder.read(encoded)))), 0, k);
    }

    /** Top-k of every file, in order, {@value #BATCH} images per forward pass. */
    public List<List<Prediction>> classifyAll(List<Path> files, int k) throws IOException {
        List<List<Prediction>> out = new ArrayList<>();
        for (int i = 0; i < files.size(); i += BATCH) {
            float[] p = probabilities(load(files.subList(i, Math.min(i + BATCH, files.size()))));
            for (int r = 0; r < Math.min(BATCH, files.size() - i); r++) {
                out.add(topK(p, r, k));
            }
        }
        return out;
    }

    /**
     * Test-time augmentation: the mean of the class probabilities of the image and of its mirror image, then
     * top-k.
     */
    public List<Prediction> classifyWithFlip(Path file, int k) throws IOException {
        Tensor x = load(List.of(file));
        float[] a = probabilities(x);
        float[] b = probabilities(flip(x));
        for (int i = 0; i < a.length; i++) {
            a[i] = (a[i] + b[i]) / 2;
        }
        return topK(a, 0, k);
    }

    /** The image's embedding: the backbone's pooled features, [{@link #embeddingSize()}]. */
    public float[] embed(BufferedImage image) {
        return features(input(List.of(ImageDecoder.toTensor(image))));
    }

    /** Embeddings of every file, one row each. */
    public float[][] embedAll(List<Path> files) throws IOException {
        float[][] out = new float[files.size()][];
        int d = embeddingSize();
        for (int i = 0; i < files.size(); i += BATCH) {
            float[] f = features(load(files.subList(i, Math.min(i + BATCH, files.size()))));
            for (int r = 0; r < Math.min(BATCH, files.size() - i); r++) {
                out[i + r] = Arrays.copyOfRange(f, r * d, (r + 1) * d);
            }
        }
        return out;
    }

    /** Logits of already preprocessed images [N, C, S, S], on the input's backend. */
    public Tensor logits(Tensor input) {
        try (var _ = NoGrad.enter()) {
            return network.forward(input.to(device)).to(input.backend());
        }
    }

    /**
     * Accuracy, top-5, per-class precision/recall/F1 and the confusion matrix over {@code data}, whose classes
     * must be the model's, in order. Unreadable files are skipped with a warning to {@code warnings}.
     */
    public ClassificationMetrics evaluate(ImageDataset data, Consumer<String> warnings) {
        if (!data.classes().equals(labels)) {
            throw new IllegalArgumentException("evaluate: the data's classes " + data.classes()
                    + " are not the model's " + labels);
        }
        ClassificationMetrics metrics = new ClassificationMetrics(labels);
        try (DataLoader loader = DataLoader.builder(data, pipeline).batchSize(BATCH).sampler(SamplerKind.SEQUENTIAL)
                .onWarning(warnings).build()) {
            for (Iterator<Batch> it = loader.epoch(0); it.hasNext(); ) {
                Batch b = it.next();
                metrics.add(logits(InputChannels.fromRgb(b.images(), info.preprocessing().channels())), b.labels());
            }
        }
        return metrics;
    }

    private Tensor load(List<Path> files) throws IOException {
        List<Tensor> images = new ArrayList<>();
        for (Path f : files) {
            images.add(ImageDecoder.read(f));
        }
        return input(images);
    }

    /** Decoded [3, H, W] images → the network's input batch. */
    private Tensor input(List<Tensor> images) {
        Random unused = new Random(0); // the evaluation pipeline draws nothing
        Tensor[] batch = images.stream().map(t -> pipeline.apply(t, unused)).toArray(Tensor[]::new);
        return InputChannels.fromRgb(Tensor.stack(0, batch), info.preprocessing().channels());
    }

    private float[] probabilities(Tensor input) {
        try (var _ = NoGrad.enter()) {
            return Functional.softmax(network.forward(input.to(device)), 1).toFloatArray();
        }
    }

    private float[] features(Tensor input) {
        try (var _ = NoGrad.enter()) {
            return network.features(input.to(device)).toFloatArray();
        }
    }

    private static Tensor flip(Tensor x) {
        int w = x.size(3);
        Tensor[] cols = new Tensor[w];
        for (int i = 0; i < w; i++) {
            cols[i] = x.narrow(3, w - 1 - i, 1);
        }
        return Tensor.cat(3, cols);
    }

    private List<Prediction> topK(float[] probabilities, int row, int k) {
        int c = labels.size();
        if (k < 1) {
            throw new IllegalArgumentException("top-k: k must be >= 1, got " + k);
        }
        return IntStream.range(0, c).boxed()
                .sorted((a, b) -> Float.compare(probabilities[row * c + b], probabilities[row * c + a]))
                .limit(k)
                .map(i -> new Prediction(i, labels.get(i), probabilities[row * c + i]))
                .toList();
    }
}
