package dev.graft.models.resnet;

import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.BatchNorm2d;
import dev.graft.engine.nn.Conv2d;
import dev.graft.engine.nn.ConvBnFusion;
import dev.graft.engine.nn.Module;
import dev.graft.engine.nn.ReLU;

/**
 * The two-convolution residual block of ResNet-18/34 and of the CIFAR ResNets: {@code relu(bn2(conv2(relu(
 * bn1(conv1(x))))) + shortcut(x))}, with the stride on {@code conv1}. The shortcut is the identity, or a module
 * registered under the family's name: torchvision's {@code downsample} (1×1 convolution and BatchNorm) or the
 * CIFAR nets' parameter-free {@code shortcut}.
 */
final class BasicBlock extends Module {
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final Conv2d conv2;
    private final BatchNorm2d bn2;
    private final Module shortcut;

    /** @param shortcut null for the identity */
    BasicBlock(int inPlanes, int planes, int stride, String shortcutName, Module shortcut, Generator gen) {
        conv1 = registerModule("conv1", new Conv2d(inPlanes, planes, 3, stride, 1, false, gen));
        bn1 = registerModule("bn1", new BatchNorm2d(planes));
        // Listed as in torchvision's module tree; the ReLUs themselves run inside ConvBnFusion.
        registerModule("relu", new ReLU());
        conv2 = registerModule("conv2", new Conv2d(planes, planes, 3, 1, 1, false, gen));
        bn2 = registerModule("bn2", new BatchNorm2d(planes));
        this.shortcut = shortcut == null ? null : registerModule(shortcutName, shortcut);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor out = ConvBnFusion.forward(conv1, bn1, x, null, true);
        return ConvBnFusion.forward(conv2, bn2, out, ResNet.shortcut(shortcut, x), true);
    }
}
