package dev.graft.models.bundle;

import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import dev.graft.engine.safetensors.SafetensorsFile;
import dev.graft.engine.safetensors.SafetensorsFormatException;
import dev.graft.models.Architecture;
import dev.graft.models.ModelRegistry;
import dev.graft.models.resnet.StagedNetwork;
import dev.graft.weights.CheckpointFormatException;
import dev.graft.weights.DataParallelKeys;
import dev.graft.weights.PytorchCheckpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Turns any weights file graft reads into a ready network: a graft bundle, a safetensors file with torchvision's
 * key names (timm, Hugging Face), or a PyTorch checkpoint in the zip or legacy format. The type comes from the
 * file's first bytes ({@link CheckpointFormat#detect}); the architecture from the bundle or
 * {@link LoadOptions#arch()}. Keys lose DataParallel's {@code module.} prefix, a checkpoint dict is unwrapped to
 * its state dict, F16, BF16 and F64 tensors become F32, and a checkpoint may lack the network's optional keys
 * ({@link StagedNetwork#optionalStateKeys()}). Any other missing, unexpected or mis-shaped key is an error that
 * counts them, names the first few of each kind and says which registered architectures the file does fit.
 */
public final class WeightsLoader {
    /** Seeds the initial weights, so a replaced classifier is the same on every run. */
    private static final long INIT_SEED = 0;
    /** Both ResNet families name their first convolution conv1; its weight gives the input channels. */
    private static final String STEM_WEIGHT = "conv1.weight";
    /** Keys named per kind of problem in a mismatch message; a wrong architecture misses hundreds. */
    private static final int KEYS_SHOWN = 5;

    private WeightsLoader() {
    }

    /** Reads one tensor of a file by its mapped key; safetensors files read lazily from their mapping. */
    @FunctionalInterface
    private interface TensorReader {
        Tensor read(String key) throws SafetensorsFormatException;
    }

    /** A file's tensors: shapes by mapped key, in file order, and how to read each. */
    private record Source(Path file, CheckpointFormat format, Map<String, int[]> shapes, TensorReader reader) {
    }

    /**
     * Loads {@code file} into a new network (in training mode).
     *
     * @throws WeightsException if the file is not a weights file graft reads, is malformed, names no
     *                          architecture and none is given, or does not fit the architecture
     * @throws IOException      if it cannot be read
     */
    public static LoadedModel load(Path file, LoadOptions options) throws IOException, WeightsException {
        CheckpointFormat format = CheckpointFormat.detect(file);
        try {
            if (format == CheckpointFormat.SAFETENSORS) {
                try (SafetensorsFile st = SafetensorsFile.open(file)) {
                    BundleMetadata bundle = BundleMetadata.isBundle(st.metadata())
                            ? BundleMetadata.fromMap(file, st.metadata()) : null;
                    Architecture arch = architecture(file, format, bundle, options);
                    Map<String, String> stored = DataParallelKeys.strip(st.names());
                    Map<String, int[]> shapes = new LinkedHashMap<>();
                    stored.forEach((key, name) -> shapes.put(key, st.info(name).shape()));
                    // Tensors are copied out of the mapping one at a time, straight into the network.
                    Source source = new Source(file, format, shapes, key -> st.tensor(stored.get(key)));
                    return build(source, arch, bundle, options, null);
                }
            }
            Architecture arch = architecture(file, format, null, options);
            // Building and initialising the network takes longer than reading and decoding the checkpoint, so it
            // starts first, on another thread, for the class count and channels expected before reading.
            EarlyBuild early = EarlyBuild.start(arch, options.numClasses() != null ? options.numClasses()
                    : arch.defaultNumClasses(), arch.preprocessing().channels());
            // PytorchCheckpoint unwraps the state dict and strips module. prefixes itself.
            Map<String, Tensor> tensors = PytorchCheckpoint.read(file).tensors();
            Map<String, int[]> shapes = new LinkedHashMap<>();
            tensors.forEach((key, t) -> shapes.put(key, t.shape()));
            return build(new Source(file, format, shapes, tensors::get), arch, null, options, early);
        } catch (SafetensorsFormatException | CheckpointFormatException e) {
            throw new WeightsException(e.getMessage(), e);
        }
    }

    /** @param early a network being built for a guessed shape, or null */
    private static LoadedModel build(Source source, Architecture arch, BundleMetadata bundle, LoadOptions options,
                                     EarlyBuild early) throws WeightsException, SafetensorsFormatException {
        boolean classesFromFile = options.numClasses() == null && bundle == null;
        int numClasses = options.numClasses() != null ? options.numClasses()
                : bundle != null ? bundle.numClasses() : matrixRows(source).orElse(arch.defaultNumClasses());
        int[] stem = source.shapes().get(STEM_WEIGHT);
        int inChannels = stem != null && stem.length == 4 ? stem[1] : arch.preprocessing().channels();
        StagedNetwork network = early != null && early.numClasses() == numClasses && early.inChannels() == inChannels
                ? early.network() : arch.build(numClasses, inChannels, new Generator(INIT_SEED));
        int[] head = source.shapes().get(Classifier.of(network).weightKey());
        if (classesFromFile && head != null && head.length == 2 && head[0] >= 1 && head[0] != numClasses) {
            // The file holds other matrices besides its classifier, which decides.
            numClasses = head[0];
            network = arch.build(numClasses, inChannels, new Generator(INIT_SEED));
        }
        if (bundle != null && !bundle.head().isLinear()) {
            network.replaceHead(bundle.head(), numClasses, new Generator(INIT_SEED));
        }
        Copied copied = copyState(source, network, arch.name(), numClasses, options.dropClassifier());
        boolean sameClasses = bundle != null && bundle.numClasses() == numClasses;
        BundleMetadata info = bundle == null
                ? new BundleMetadata(arch.name(), numClasses, List.of(), arch.preprocessing(), null, null, null)
                : new BundleMetadata(arch.name(), numClasses, sameClasses ? bundle.classNames() : List.of(),
                        bundle.preprocessing(), bundle.sourceSha256(), bundle.sourceFile(), bundle.graftVersion(),
                        bundle.head());
        return new LoadedModel(network, info, inChannels, source.format(), bundle != null, copied.replaced(),
                copied.defaulted());
    }

    private static Architecture architecture(Path file, CheckpointFormat format, BundleMetadata bundle,
                                             LoadOptions options) throws WeightsException {
        if (bundle == null && options.arch() == null) {
            throw new WeightsException(file + ": a " + format + " file does not say which architecture it holds;"
                    + " name one (--arch): " + String.join(", ", ModelRegistry.names()));
        }
        if (bundle != null && options.arch() != null && !options.arch().equals(bundle.arch())) {
            throw new WeightsException(file + ": the bundle holds " + bundle.arch() + ", not " + options.arch()
                    + " as requested");
        }
        return ModelRegistry.get(bundle != null ? bundle.arch() : options.arch());
    }

    /** A network built on its own thread; seeded like every other build, so the weights are the same. */
    private record EarlyBuild(int numClasses, int inChannels, FutureTask<StagedNetwork> task) {

        static EarlyBuild start(Architecture arch, int numClasses, int inChannels) {
            var task = new FutureTask<>(() -> arch.build(numClasses, inChannels, new Generator(INIT_SEED)));
            // A daemon: when reading the file fails, the process need not wait for a network nobody will use.
            Thread.ofPlatform().name("graft-early-build").daemon().start(task);
            return new EarlyBuild(numClasses, inChannels, task);
        }

        StagedNetwork network() {
            try {
                return task.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r
                        : new IllegalStateException("building the network failed", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while building the network", e);
            }
        }
    }

    /**
     * The class count of a checkpoint without metadata, before the network exists to name its classifier: the
     * rows of the file's one matrix, as a ResNet's other weights are convolution kernels and vectors.
     */
    private static OptionalInt matrixRows(Source source) {
        List<int[]> matrices = source.shapes().values().stream().filter(s -> s.length == 2).toList();
        return matrices.size() == 1 && matrices.getFirst()[0] >= 1 ? OptionalInt.of(matrices.getFirst()[0])
                : OptionalInt.empty();
    }

    private record Copied(List<String> replaced, List<String> defaulted) {
    }

    /**
     * Matches the source's keys and shapes against the network's state dict, then copies every tensor into
     * place. Everything is checked before anything is read, so one error counts every problem.
     */
    private static Copied copyState(Source source, StagedNetwork network, String arch, int numClasses,
                                    boolean dropClassifier) throws WeightsException, SafetensorsFormatException {
        Map<String, Tensor> own = network.stateDict();
        Set<String> optional = new HashSet<>(network.optionalStateKeys());
        Classifier classifier = Classifier.of(network);
        List<String> headKeys = classifier.keys();
        Map<String, int[]> shapes = source.shapes();
        boolean headDiffers = headKeys.stream()
                .anyMatch(k -> !shapes.containsKey(k) || !Arrays.equals(shapes.get(k), own.get(k).shape()));
        boolean replaceHead = headDiffers && dropClassifier;

        List<String> missing = new ArrayList<>();
        List<String> defaulted = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (var e : own.entrySet()) {
            String key = e.getKey();
            int[] shape = shapes.get(key);
            if (replaceHead && headKeys.contains(key)) {
                continue;
            }
            if (shape == null) {
                (optional.contains(key) ? defaulted : missing).add(key);
            } else if (!Arrays.equals(shape, e.getValue().shape())) {
                mismatched.add(key + " is " + Shape.format(shape) + " in the file, "
                        + Shape.format(e.getValue().shape()) + " in the network");
            }
        }
        List<String> unexpected = shapes.keySet().stream().filter(k -> !own.containsKey(k)).toList();
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            int[] fileHead = shapes.get(classifier.weightKey());
            String hint = headDiffers && fileHead != null && fileHead.length == 2
                    ? " (the file's classifier has " + fileHead[0] + " classes: load it with " + fileHead[0]
                            + " classes, or drop it for a fresh one of " + classifier.outputs() + ")"
                    : "";
            throw new WeightsException(mismatchMessage(source, arch + " with " + numClasses + " classes", missing,
                    unexpected, mismatched) + hint + otherFits(shapes, arch));
        }
        try (var _ = NoGrad.enter()) {
            for (var e : own.entrySet()) {
                if (shapes.containsKey(e.getKey()) && !(replaceHead && headKeys.contains(e.getKey()))) {
                    e.getValue().copyFrom(source.reader().read(e.getKey()));
                }
            }
        }
        return new Copied(replaceHead ? headKeys : List.of(), defaulted);
    }

    private static String mismatchMessage(Source source, String target, List<String> missing, List<String> unexpected,
                                          List<String> mismatched) {
        StringJoiner problems = new StringJoiner("; ");
        if (!missing.isEmpty()) {
            problems.add("missing keys " + firstFew(missing));
        }
        if (!unexpected.isEmpty()) {
            problems.add("unexpected keys " + firstFew(unexpected));
        }
        if (!mismatched.isEmpty()) {
            problems.add("shape mismatches " + firstFew(mismatched));
        }
        return source.file() + ": the " + source.format() + " state dict does not fit " + target + ": " + problems;
    }

    /** "(7): a, b, c, d, e and 2 more". */
    private static String firstFew(List<String> items) {
        int more = items.size() - KEYS_SHOWN;
        return "(" + items.size() + "): " + String.join(", ", items.subList(0, Math.min(items.size(), KEYS_SHOWN)))
                + (more > 0 ? " and " + more + " more" : "");
    }

    /**
     * What the file's keys and shapes do fit, when it is not {@code arch} (a file that fits it but for the
     * classifier's size is explained by the hint).
     */
    private static String otherFits(Map<String, int[]> shapes, String arch) {
        List<String> fits = ArchitectureFit.fitting(shapes);
        if (fits.contains(arch)) {
            return "";
        }
        return fits.isEmpty() ? "; its keys and shapes fit none of the registered architectures"
                : "; its keys and shapes fit " + String.join(" and ", fits);
    }
}
