package dev.graft.models.resnet;

import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.AdaptiveAvgPool2d;
import dev.graft.engine.nn.BatchNorm2d;
import dev.graft.engine.nn.Conv2d;
import dev.graft.engine.nn.ConvBnFusion;
import dev.graft.engine.nn.Init;
import dev.graft.engine.nn.Linear;
import dev.graft.engine.nn.MaxPool2d;
import dev.graft.engine.nn.Module;
import dev.graft.engine.nn.ReLU;
import dev.graft.engine.nn.Sequential;

/**
 * torchvision's ImageNet ResNet family (v1.5, stride on the bottleneck's 3×3 convolution), with torchvision's
 * module names, so {@link #stateDict()} has exactly the keys, order and shapes of a torchvision checkpoint:
 * stem {@code conv1} (7×7, stride 2), {@code bn1}, {@code relu}, {@code maxpool} (3×3, stride 2); stages
 * {@code layer1}…{@code layer4} of 64/128/256/512 planes, each a {@link Sequential} of blocks whose first block
 * strides by 2 (except in {@code layer1}) and carries a {@code downsample} when the shape changes;
 * {@code avgpool} to 1×1 and the head {@code fc}.
 *
 * <p>Stages for freezing: {@code stem}, {@code layer1}…{@code layer4}, {@code fc}.
 */
public final class ResNet extends StagedNetwork {
    private enum Block {
        BASIC(1), BOTTLENECK(Bottleneck.EXPANSION);

        final int expansion;

        Block(int expansion) {
            this.expansion = expansion;
        }

        Module create(int inPlanes, int planes, int stride, Sequential downsample, int groups, int widthPerGroup,
                      Generator gen) {
            return this == BASIC
                    ? new BasicBlock(inPlanes, planes, stride, "downsample", downsample, gen)
                    : new Bottleneck(inPlanes, planes, stride, downsample, groups, widthPerGroup, gen);
        }
    }

    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final MaxPool2d maxpool;
    private final Sequential[] layers = new Sequential[4];
    private final AdaptiveAvgPool2d avgpool;

    private ResNet(String arch, Block block, int[] blocksPerStage, int groups, int widthPerGroup, int numClasses,
                   int inChannels, Generator gen) {
        super("fc", 512 * block.expansion);
        if (numClasses < 1 || inChannels < 1) {
            throw new IllegalArgumentException(arch + ": numClasses and inChannels must be >= 1, got " + numClasses
                    + " and " + inChannels);
        }
        conv1 = registerModule("conv1", new Conv2d(inChannels, 64, 7, 2, 3, false, gen));
        bn1 = registerModule("bn1", new BatchNorm2d(64));
        // Listed as in torchvision's module tree; the ReLUs themselves run inside ConvBnFusion.
        registerModule("relu", new ReLU());
        maxpool = registerModule("maxpool", new MaxPool2d(3, 2, 1));
        defineStage("stem", "conv1.*", "bn1.*");
        int inPlanes = 64;
        for (int i = 0; i < layers.length; i++) {
            int planes = 64 << i;
            String name = "layer" + (i + 1);
            layers[i] = registerModule(name, makeLayer(block, inPlanes, planes, blocksPerStage[i], i == 0 ? 1 : 2,
                    groups, widthPerGroup, gen));
            defineStage(name, name + ".**");
            inPlanes = planes * block.expansion;
        }
        avgpool = registerModule("avgpool", new AdaptiveAvgPool2d(1));
        defineHead(new Linear(inPlanes, numClasses, true, gen));
        // torchvision re-initialises every convolution; BatchNorm already starts at weight 1, bias 0, and fc
        // keeps PyTorch's default Linear initialisation.
        for (Module m : namedModules().values()) {
            if (m instanceof Conv2d c) {
                Init.kaimingNormal(c.weight().tensor(), Init.FanMode.FAN_OUT, Init.Nonlinearity.RELU, gen);
            }
        }
    }

    private static Sequential makeLayer(Block block, int inPlanes, int planes, int blocks, int stride, int groups,
                                        int widthPerGroup, Generator gen) {
        int outPlanes = planes * block.expansion;
        Sequential downsample = stride == 1 && inPlanes == outPlanes ? null
                : downsample(inPlanes, outPlanes, stride, gen);
        Sequential layer = new Sequential(block.create(inPlanes, planes, stride, downsample, groups, widthPerGroup, gen));
        for (int i = 1; i < blocks; i++) {
            layer.add(block.create(outPlanes, planes, 1, null, groups, widthPerGroup, gen));
        }
        return layer;
    }

    /** torchvision's projection shortcut: a strided 1×1 convolution and BatchNorm. */
    /**
     * A block's shortcut applied to x: x itself when null, the downsample's convolution and batch norm through
     * {@link ConvBnFusion}, any other module as it is.
     */
    static Tensor shortcut(Module shortcut, Tensor x) {
        if (shortcut == null) {
            return x;
        }
        if (shortcut instanceof Sequential s && s.size() == 2 && s.get(0) instanceof Conv2d conv
                && s.get(1) instanceof BatchNorm2d bn) {
            return ConvBnFusion.forward(conv, bn, x, null, false);
        }
        return shortcut.forward(x);
    }

    static Sequential downsample(int inPlanes, int outPlanes, int stride, Generator gen) {
        return new Sequential(new Conv2d(inPlanes, outPlanes, 1, stride, 0, false, gen), new BatchNorm2d(outPlanes));
    }

    /** ResNet-18: basic blocks, 2-2-2-2 per stage, 11.7 M parameters with 1000 classes. */
    public static ResNet resnet18(int numClasses, int inChannels, Generator gen) {
        return new ResNet("resnet18", Block.BASIC, new int[] {2, 2, 2, 2}, 1, 64, numClasses, inChannels, gen);
    }

    /** ResNet-34: basic blocks, 3-4-6-3 per stage. */
    public static ResNet resnet34(int numClasses, int inChannels, Generator gen) {
        return new ResNet("resnet34", Block.BASIC, new int[] {3, 4, 6, 3}, 1, 64, numClasses, inChannels, gen);
    }

    /** ResNet-50: bottlenecks, 3-4-6-3 per stage. */
    public static ResNet resnet50(int numClasses, int inChannels, Generator gen) {
        return new ResNet("resnet50", Block.BOTTLENECK, new int[] {3, 4, 6, 3}, 1, 64, numClasses, inChannels, gen);
    }

    /** ResNet-101: bottlenecks, 3-4-23-3 per stage. */
    public static ResNet resnet101(int numClasses, int inChannels, Generator gen) {
        return new ResNet("resnet101", Block.BOTTLENECK, new int[] {3, 4, 23, 3}, 1, 64, numClasses, inChannels, gen);
    }

    /** ResNet-152: bottlenecks, 3-8-36-3 per stage. */
    public static ResNet resnet152(int numClasses, int inChannels, Generator gen) {
        return new ResNet("resnet152", Block.BOTTLENECK, new int[] {3, 8, 36, 3}, 1, 64, numClasses, inChannels, gen);
    }

    /** ResNeXt-50 with 32 groups of width 4 in the first stage. */
    public static ResNet resnext50_32x4d(int numClasses, int inChannels, Generator gen) {
        return new ResNet("resnext50_32x4d", Block.BOTTLENECK, new int[] {3, 4, 6, 3}, 32, 4, numClasses,
                inChannels, gen);
    }

    /** ResNet-50 with bottlenecks twice as wide (the 1×1 expansions keep ResNet-50's widths). */
    public static ResNet wideResnet50_2(int numClasses, int inChannels, Generator gen) {
        return new ResNet("wide_resnet50_2", Block.BOTTLENECK, new int[] {3, 4, 6, 3}, 1, 128, numClasses,
                inChannels, gen);
    }

    @Override
    public Tensor features(Tensor x) {
        Tensor out = maxpool.forward(ConvBnFusion.forward(conv1, bn1, x, null, true));
        for (Sequential layer : layers) {
            out = layer.forward(out);
        }
        return avgpool.forward(out).flatten(1);
    }
}
