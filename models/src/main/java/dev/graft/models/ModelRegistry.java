package dev.graft.models;

import dev.graft.models.resnet.CifarResNet;
import dev.graft.models.resnet.ResNet;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The architectures graft can build, by their torchvision names ({@code cifar_resnetN} for the CIFAR family). */
public final class ModelRegistry {
    private static final Map<String, Architecture> ARCHITECTURES = new LinkedHashMap<>();

    static {
        imagenet("resnet18", ResNet::resnet18);
        imagenet("resnet34", ResNet::resnet34);
        imagenet("resnet50", ResNet::resnet50);
        imagenet("resnet101", ResNet::resnet101);
        imagenet("resnet152", ResNet::resnet152);
        imagenet("resnext50_32x4d", ResNet::resnext50_32x4d);
        imagenet("wide_resnet50_2", ResNet::wideResnet50_2);
        for (int depth : new int[] {20, 32, 44, 56, 110}) {
            String name = "cifar_resnet" + depth;
            ARCHITECTURES.put(name, new Architecture(name, Preprocessing.CIFAR, 10,
                    (classes, channels, gen) -> CifarResNet.of(depth, classes, channels, gen)));
        }
    }

    private ModelRegistry() {
    }

    private static void imagenet(String name, Architecture.Factory factory) {
        ARCHITECTURES.put(name, new Architecture(name, Preprocessing.IMAGENET, 1000, factory));
    }

    /** Every registered name, ImageNet families first. */
    public static List<String> names() {
        return List.copyOf(ARCHITECTURES.keySet());
    }

    /** @throws IllegalArgumentException for an unknown name, listing the known ones */
    public static Architecture get(String name) {
        Architecture a = ARCHITECTURES.get(name);
        if (a == null) {
            throw new IllegalArgumentException("unknown architecture '" + name + "'; known: "
                    + String.join(", ", ARCHITECTURES.keySet()));
        }
        return a;
    }
}
