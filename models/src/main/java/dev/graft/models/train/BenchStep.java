package dev.graft.models.train;

import dev.graft.engine.Backend;
import dev.graft.engine.Backends;
import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Reduction;
import dev.graft.engine.Tensor;
import dev.graft.engine.cpu.StepMemory;
import dev.graft.engine.nn.Parameter;
import dev.graft.engine.optim.ParamGroup;
import dev.graft.engine.optim.Sgd;
import dev.graft.models.Architecture;
import dev.graft.models.resnet.StagedNetwork;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One step of a whole randomly initialised network on a random labelled batch, the unit that {@code graft bench}
 * and the JMH suite time: {@link Mode#INFER} is the forward pass in eval mode without gradients; {@link Mode#TRAIN}
 * forward, mean cross-entropy, backward and an SGD step (lr 0.01, momentum 0.9, weight decay 1e-4) with every
 * parameter trainable; {@link Mode#FROZEN} the same with the backbone frozen as by the feature-extract strategy.
 * Steps reuse their arrays through a {@link StepMemory}, as the trainer's do.
 */
public final class BenchStep implements Runnable {
    /** What one step does. */
    public enum Mode {
        INFER, TRAIN, FROZEN
    }

    private static final double LR = 0.01;
    private static final double MOMENTUM = 0.9;
    private static final double WEIGHT_DECAY = 1e-4;

    private final Runnable step;
    private final long trainedParameters;

    /** Builds the network and batch from {@code seed} on the CPU and puts the network in the mode's state. */
    public BenchStep(Architecture architecture, Mode mode, int batch, int imageSize, long seed) {
        this(architecture, mode, batch, imageSize, seed, Backends.cpu());
    }

    /**
     * Builds the network and batch from {@code seed} on {@code device}; each step returns once the device has
     * finished it.
     */
    public BenchStep(Architecture architecture, Mode mode, int batch, int imageSize, long seed, Backend device) {
        if (batch < 1 || imageSize < 1) {
            throw new IllegalArgumentException("bench step: batch and image size must be >= 1, got " + batch + " and "
                    + imageSize);
        }
        Generator gen = new Generator(seed);
        StagedNetwork network = architecture.build(gen);
        Tensor images = Tensor.randn(gen, batch, architecture.preprocessing().channels(), imageSize, imageSize);
        long[] classes = new long[batch];
        for (int i = 0; i < batch; i++) {
            classes[i] = gen.nextInt(network.numClasses());
        }
        Tensor labels = Tensor.ofLongs(classes, batch).to(device);
        network.to(device);
        Tensor input = images.to(device);
        StepMemory memory = new StepMemory();
        if (mode == Mode.INFER) {
            network.eval();
            step = () -> {
                try (var _ = NoGrad.enter(); var _ = memory.step(device, network::stateTensors)) {
                    network.forward(input);
                }
                device.synchronize();
            };
            trainedParameters = 0;
            return;
        }
        Strategy.of(mode == Mode.FROZEN ? Strategy.Kind.FEATURE_EXTRACT : Strategy.Kind.FULL).apply(network);
        network.train();
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        network.namedParameters().forEach((name, p) -> {
            if (p.isTrainable()) {
                trainable.put(name, p);
            }
        });
        Sgd sgd = new Sgd(List.of(new ParamGroup("trainable", trainable, LR, WEIGHT_DECAY)), MOMENTUM, 0, false);
        step = () -> {
            sgd.zeroGrad();
            try (var _ = memory.step(device, network::stateTensors)) {
                Functional.crossEntropy(network.forward(input), labels, null, 0, Reduction.MEAN).backward();
            }
            sgd.step();
            device.synchronize();
        };
        trainedParameters = network.trainableParameterCount();
    }

    @Override
    public void run() {
        step.run();
    }

    /** Parameters the step updates; 0 for inference. */
    public long trainedParameters() {
        return trainedParameters;
    }
}
