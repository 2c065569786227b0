package dev.graft.models.resnet;

import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.BatchNorm2d;
import dev.graft.engine.nn.Conv2d;
import dev.graft.engine.nn.ConvBnFusion;
import dev.graft.engine.nn.Init;
import dev.graft.engine.nn.Linear;
import dev.graft.engine.nn.Module;
import dev.graft.engine.nn.Sequential;

/**
 * The CIFAR ResNets of He et al. 2016 (section 4.2) as defined by akamaster/pytorch_resnet_cifar10, whose
 * public checkpoints load key for key once their {@code module.} prefix is stripped: {@code conv1} (3×3, 16
 * channels), {@code bn1}, ReLU; {@code layer1}…{@code layer3} of n = (depth − 2) / 6 basic blocks with
 * 16/32/64 channels, the first block of {@code layer2} and {@code layer3} striding by 2; global average pool;
 * head {@code linear}. A block that halves the resolution uses shortcut "option A", which has no parameters.
 *
 * <p>Stages for freezing: {@code stem}, {@code layer1}…{@code layer3}, {@code linear}.
 */
public final class CifarResNet extends StagedNetwork {
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final Sequential[] layers = new Sequential[3];

    private CifarResNet(int depth, int numClasses, int inChannels, Generator gen) {
        super("linear", 64);
        if (depth < 8 || (depth - 2) % 6 != 0) {
            throw new IllegalArgumentException("cifar_resnet: depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, 110"
                    + ", ...), got " + depth);
        }
        if (numClasses < 1 || inChannels < 1) {
            throw new IllegalArgumentException("cifar_resnet" + depth + ": numClasses and inChannels must be >= 1, got "
                    + numClasses + " and " + inChannels);
        }
        int blocks = (depth - 2) / 6;
        conv1 = registerModule("conv1", new Conv2d(inChannels, 16, 3, 1, 1, false, gen));
        bn1 = registerModule("bn1", new BatchNorm2d(16));
        defineStage("stem", "conv1.*", "bn1.*");
        int inPlanes = 16;
        for (int i = 0; i < layers.length; i++) {
            int planes = 16 << i;
            int stride = i == 0 ? 1 : 2;
            String name = "layer" + (i + 1);
            Sequential layer = new Sequential();
            for (int b = 0; b < blocks; b++) {
                Module shortcut = b == 0 && stride != 1 ? new OptionAShortcut(planes / 4) : null;
                layer.add(new BasicBlock(b == 0 ? inPlanes : planes, planes, b == 0 ? stride : 1, "shortcut", shortcut,
                        gen));
            }
            layers[i] = registerModule(name, layer);
            defineStage(name, name + ".**");
            inPlanes = planes;
        }
        defineHead(new Linear(64, numClasses, true, gen));
        // akamaster's _weights_init: kaiming_normal_ with its defaults (fan_in, ReLU gain) on every convolution
        // and Linear weight; the Linear bias keeps PyTorch's default, BatchNorm starts at 1 / 0.
        for (Module m : namedModules().values()) {
            if (m instanceof Conv2d c) {
                Init.kaimingNormal(c.weight().tensor(), Init.FanMode.FAN_IN, Init.Nonlinearity.RELU, gen);
            } else if (m instanceof Linear l) {
                Init.kaimingNormal(l.weight().tensor(), Init.FanMode.FAN_IN, Init.Nonlinearity.RELU, gen);
            }
        }
    }

    /** A CIFAR ResNet of {@code depth} = 6n + 2 layers (20, 32, 44, 56, 110, …). */
    public static CifarResNet of(int depth, int numClasses, int inChannels, Generator gen) {
        return new CifarResNet(depth, numClasses, inChannels, gen);
    }

    @Override
    public Tensor features(Tensor x) {
        Tensor out = ConvBnFusion.forward(conv1, bn1, x, null, true);
        for (Sequential layer : layers) {
            out = layer.forward(out);
        }
        // akamaster pools with a window as wide as the map, the same as a global average on square inputs.
        return Functional.adaptiveAvgPool2d(out, 1, 1).flatten(1);
    }

    /**
     * Shortcut option A: subsample by 2 ({@code x[:, :, ::2, ::2]}) and zero-pad the channels by
     * {@code planes / 4} on each side, doubling them without parameters.
     */
    private static final class OptionAShortcut extends Module {
        private final int pad;

        OptionAShortcut(int pad) {
            this.pad = pad;
        }

        @Override
        public Tensor forward(Tensor x) {
            return Functional.subsamplePadChannels(x, pad);
        }

        @Override
        protected String extraRepr() {
            return "subsample=2, channel_pad=" + pad;
        }
    }
}
