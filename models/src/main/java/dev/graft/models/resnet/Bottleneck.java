package dev.graft.models.resnet;

import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.BatchNorm2d;
import dev.graft.engine.nn.Conv2d;
import dev.graft.engine.nn.ConvBnFusion;
import dev.graft.engine.nn.Module;
import dev.graft.engine.nn.ReLU;
import dev.graft.engine.nn.Sequential;

/**
 * torchvision's bottleneck block (ResNet v1.5): 1×1 reduce, 3×3 (grouped for ResNeXt) carrying the stride,
 * 1×1 expand to {@code 4 · planes}, plus the identity or {@code downsample}. The inner width is
 * {@code planes · widthPerGroup / 64 · groups}: 64 · 4 / 64 · 32 = 128 channels for ResNeXt-50 32x4d's first
 * stage, 64 · 128 / 64 = 128 for Wide-ResNet-50-2's.
 */
final class Bottleneck extends Module {
    static final int EXPANSION = 4;

    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final Conv2d conv2;
    private final BatchNorm2d bn2;
    private final Conv2d conv3;
    private final BatchNorm2d bn3;
    private final Sequential downsample;

    /** @param downsample null for the identity shortcut */
    Bottleneck(int inPlanes, int planes, int stride, Sequential downsample, int groups, int widthPerGroup,
               Generator gen) {
        int width = planes * widthPerGroup / 64 * groups;
        conv1 = registerModule("conv1", new Conv2d(inPlanes, width, 1, 1, 0, false, gen));
        bn1 = registerModule("bn1", new BatchNorm2d(width));
        conv2 = registerModule("conv2", new Conv2d(width, width, 3, stride, 1, 1, groups, false, gen));
        bn2 = registerModule("bn2", new BatchNorm2d(width));
        conv3 = registerModule("conv3", new Conv2d(width, planes * EXPANSION, 1, 1, 0, false, gen));
        bn3 = registerModule("bn3", new BatchNorm2d(planes * EXPANSION));
        // Listed as in torchvision's module tree; the ReLUs themselves run inside ConvBnFusion.
        registerModule("relu", new ReLU());
        this.downsample = downsample == null ? null : registerModule("downsample", downsample);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor out = ConvBnFusion.forward(conv1, bn1, x, null, true);
        out = ConvBnFusion.forward(conv2, bn2, out, null, true);
        return ConvBnFusion.forward(conv3, bn3, out, ResNet.shortcut(downsample, x), true);
    }
}
