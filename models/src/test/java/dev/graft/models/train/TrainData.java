package dev.graft.models.train;

import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import dev.graft.engine.safetensors.SafetensorsFile;
import dev.graft.models.ModelRegistry;
import dev.graft.models.bundle.BundleMetadata;
import dev.graft.models.bundle.ModelBundle;
import dev.graft.models.demo.SyntheticShapes;
import dev.graft.models.resnet.CifarResNet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small image folders drawn on the fly and a random "pretrained" CIFAR ResNet-20 bundle for training tests. */
final class TrainData {
    /** The class names, sorted as ImageFolder sorts them. */
    static final List<String> CLASSES = SyntheticShapes.TARGET.stream().sorted().toList();

    private TrainData() {
    }

    /** {@code dir/train} and {@code dir/val} of the four target figures at 32×32. */
    static Path folders(Path dir, int trainPerClass, int valPerClass) throws IOException {
        SyntheticShapes.write(dir.resolve("train"), CLASSES, trainPerClass, 32, 11);
        SyntheticShapes.write(dir.resolve("val"), CLASSES, valPerClass, 32, 12);
        return dir;
    }

    /** A 10-class cifar_resnet20 bundle with seeded random weights. */
    static Path weights(Path dir) throws IOException {
        Path file = dir.resolve("pretrained.safetensors");
        var arch = ModelRegistry.get("cifar_resnet20");
        ModelBundle.write(file, CifarResNet.of(20, 10, 3, new Generator(42)),
                new BundleMetadata(arch.name(), 10, List.of(), arch.preprocessing(), null, null, null));
        return file;
    }

    /** The tensors of a safetensors file whose names start with {@code prefix}, under the rest of their names. */
    static Map<String, Tensor> tensors(Path file, String prefix) throws Exception {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            for (String name : st.names()) {
                if (name.startsWith(prefix)) {
                    out.put(name.substring(prefix.length()), st.tensor(name));
                }
            }
        }
        return out;
    }

    static TrainConfig.Builder config(Path data, Path weights, Path out, Strategy strategy) {
        return TrainConfig.builder(data.resolve("train"), "cifar_resnet20", out)
                .val(data.resolve("val")).weights(strategy.pretrained() ? weights : null).strategy(strategy)
                .epochs(2).batch(8).lr(0.05).workers(2).seed(3);
    }
}
