package dev.graft.engine.nn;

import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Small ResNet-shaped modules shared by the nn tests, built like torchvision's (names included). */
final class TestModels {
    private TestModels() {
    }

    /** torchvision's BasicBlock: conv1, bn1, relu, conv2, bn2 and, when the shape changes, downsample. */
    static final class Block extends Module {
        final Conv2d conv1;
        final BatchNorm2d bn1;
        final ReLU relu;
        final Conv2d conv2;
        final BatchNorm2d bn2;
        final Sequential downsample;

        Block(int in, int out, int stride, Generator gen) {
            conv1 = registerModule("conv1", new Conv2d(in, out, 3, stride, 1, false, gen));
            bn1 = registerModule("bn1", new BatchNorm2d(out));
            relu = registerModule("relu", new ReLU());
            conv2 = registerModule("conv2", new Conv2d(out, out, 3, 1, 1, false, gen));
            bn2 = registerModule("bn2", new BatchNorm2d(out));
            downsample = stride != 1 || in != out
                    ? registerModule("downsample", new Sequential(new Conv2d(in, out, 1, stride, 0, false, gen),
                            new BatchNorm2d(out)))
                    : null;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor out = relu.forward(bn1.forward(conv1.forward(x)));
            out = bn2.forward(conv2.forward(out));
            Tensor identity = downsample == null ? x : downsample.forward(x);
            return relu.forward(out.add(identity));
        }
    }

    /** A two-stage ResNet on 3-channel images with a 3-class head: 1,391 parameter elements. */
    static final class TinyResNet extends Module {
        final Conv2d conv1;
        final BatchNorm2d bn1;
        final ReLU relu;
        final MaxPool2d maxpool;
        final Sequential layer1;
        final Sequential layer4;
        final AdaptiveAvgPool2d avgpool;
        final Linear fc;

        TinyResNet(Generator gen) {
            conv1 = registerModule("conv1", new Conv2d(3, 4, 3, 1, 1, false, gen));
            bn1 = registerModule("bn1", new BatchNorm2d(4));
            relu = registerModule("relu", new ReLU());
            maxpool = registerModule("maxpool", new MaxPool2d(3, 2, 1));
            layer1 = registerModule("layer1", new Sequential(new Block(4, 4, 1, gen)));
            layer4 = registerModule("layer4", new Sequential(new Block(4, 8, 2, gen)));
            avgpool = registerModule("avgpool", new AdaptiveAvgPool2d(1));
            fc = registerModule("fc", new Linear(8, 3, true, gen));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = maxpool.forward(relu.forward(bn1.forward(conv1.forward(x))));
            h = layer4.forward(layer1.forward(h));
            return fc.forward(avgpool.forward(h).flatten(1));
        }
    }

    /** The five state-dict keys of a default BatchNorm2d under {@code prefix}. */
    static List<String> bnKeys(String prefix) {
        List<String> keys = new ArrayList<>();
        for (String k : new String[] {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}) {
            keys.add(prefix + "." + k);
        }
        return keys;
    }

    /** TinyResNet's state-dict keys in PyTorch's order, written out from its rules. */
    static List<String> tinyResNetStateKeys() {
        List<String> keys = new ArrayList<>();
        keys.add("conv1.weight");
        keys.addAll(bnKeys("bn1"));
        keys.add("layer1.0.conv1.weight");
        keys.addAll(bnKeys("layer1.0.bn1"));
        keys.add("layer1.0.conv2.weight");
        keys.addAll(bnKeys("layer1.0.bn2"));
        keys.add("layer4.0.conv1.weight");
        keys.addAll(bnKeys("layer4.0.bn1"));
        keys.add("layer4.0.conv2.weight");
        keys.addAll(bnKeys("layer4.0.bn2"));
        keys.add("layer4.0.downsample.0.weight");
        keys.addAll(bnKeys("layer4.0.downsample.1"));
        keys.add("fc.weight");
        keys.add("fc.bias");
        return keys;
    }
}
