package dev.graft.models.train;

import dev.graft.engine.Backend;
import dev.graft.engine.Backends;
import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.BatchNorm2d;
import dev.graft.models.Architecture;
import dev.graft.models.ModelRegistry;
import dev.graft.models.Preprocessing;
import dev.graft.models.bundle.LoadOptions;
import dev.graft.models.bundle.LoadedModel;
import dev.graft.models.bundle.WeightsException;
import dev.graft.models.bundle.WeightsLoader;
import dev.graft.models.resnet.StagedNetwork;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The network of a run as its strategy wants it: pretrained weights loaded (or a random initialisation for
 * {@code scratch}), the input adapted to the configured channels, a fresh head for the dataset's classes, the
 * trainable flags set, and the preprocessing at the configured image size.
 *
 * @param trainable     the stages trainable at the start
 * @param preprocessing what the saved bundle records: input size, resize size, normalisation per channel
 * @param source        a line saying where the weights came from
 * @param device        the backend the network lives on (the configured {@code --device})
 */
record RunModel(StagedNetwork network, List<String> trainable, Preprocessing preprocessing, String source,
                Backend device) {

    static RunModel build(TrainConfig c, int numClasses) throws IOException, WeightsException {
        Backend device = Backends.get(c.device());
        Architecture arch = ModelRegistry.get(c.arch());
        int channels = c.inChannels() == 0 ? arch.preprocessing().channels() : c.inChannels();
        StagedNetwork network;
        String source;
        if (c.strategy().pretrained()) {
            LoadedModel loaded = WeightsLoader.load(c.weights(), LoadOptions.defaults().withArch(c.arch()));
            source = c.weights() + " (" + loaded.source() + ", " + loaded.info().numClasses() + "-class head replaced)";
            network = loaded.inChannels() == channels ? loaded.network()
                    : adaptChannels(arch, loaded.network(), channels, c.seed());
        } else {
            network = arch.build(numClasses, channels, new Generator(c.seed()));
            source = "random initialisation (seed " + c.seed() + ")";
        }
        // A different stream from the backbone's, so that the head does not depend on the architecture's size.
        network.replaceHead(c.head(), numClasses, new Generator(c.seed() ^ 0x5DEECE66DL));
        List<String> trainable = c.strategy().apply(network);
        c.unfreezeSchedule().check(network);
        if (c.frozenBnBatchStats()) {
            network.namedModules().values().forEach(m -> {
                if (m instanceof BatchNorm2d bn) {
                    bn.setUseBatchStatsWhenFrozen(true);
                }
            });
        }
        network.to(device);
        return new RunModel(network, trainable, preprocessing(arch.preprocessing(), c.imageSize(), channels), source,
                device);
    }

    /**
     * The architecture's preprocessing at crop size {@code imageSize} (0 keeps it): the resize size scales by
     * the architecture's resize/crop ratio, rounded down as timm's {@code crop_pct} does.
     */
    static Preprocessing preprocessing(Preprocessing p, int imageSize, int channels) {
        int size = imageSize == 0 ? p.inputSize() : imageSize;
        OptionalInt resize = p.resizeSize().isEmpty() ? OptionalInt.empty()
                : OptionalInt.of((int) Math.floor((double) size * p.resizeSize().getAsInt() / p.inputSize()));
        return InputChannels.adaptPreprocessing(
                new Preprocessing(size, resize, p.interpolation(), p.mean(), p.std()), channels);
    }

    /** A network of {@code channels} inputs with every weight of {@code loaded} and its stem kernel adapted. */
    private static StagedNetwork adaptChannels(Architecture arch, StagedNetwork loaded, int channels, long seed) {
        StagedNetwork network = arch.build(loaded.numClasses(), channels, new Generator(seed));
        Map<String, Tensor> state = loaded.stateDict();
        state.put("conv1.weight", InputChannels.adaptKernel(state.get("conv1.weight"), channels));
        try (var _ = NoGrad.enter()) {
            network.loadStateDict(state, true);
        }
        return network;
    }
}
