package dev.graft.models;

import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.models.resnet.CifarResNet;
import dev.graft.models.resnet.ResNet;
import dev.graft.models.resnet.StagedNetwork;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRegistryTest {
    private static final List<String> NAMES = List.of("resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
            "resnext50_32x4d", "wide_resnet50_2", "cifar_resnet20", "cifar_resnet32", "cifar_resnet44",
            "cifar_resnet56", "cifar_resnet110");
    private static final List<Double> MEAN = List.of(0.485, 0.456, 0.406);
    private static final List<Double> STD = List.of(0.229, 0.224, 0.225);

    @Test
    void knowsEveryArchitecture() {
        assertEquals(NAMES, ModelRegistry.names());
        NAMES.forEach(n -> assertEquals(n, ModelRegistry.get(n).name()));
    }

    @Test
    void imagenetPreprocessingIsTorchvisions() {
        for (String name : NAMES.subList(0, 7)) {
            Architecture a = ModelRegistry.get(name);
            assertEquals(1000, a.defaultNumClasses(), name);
            assertEquals(new Preprocessing(224, OptionalInt.of(256), Preprocessing.Interpolation.BILINEAR, MEAN, STD),
                    a.preprocessing(), name);
        }
    }

    @Test
    void cifarPreprocessingKeepsNativeSize() {
        for (String name : NAMES.subList(7, 12)) {
            Architecture a = ModelRegistry.get(name);
            assertEquals(10, a.defaultNumClasses(), name);
            Preprocessing p = a.preprocessing();
            assertEquals(32, p.inputSize(), name);
            assertTrue(p.resizeSize().isEmpty(), name);
            assertEquals(MEAN, p.mean(), name);
            assertEquals(STD, p.std(), name);
            assertEquals(3, p.channels(), name);
        }
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> ModelRegistry.get("resnet19"));
        assertTrue(e.getMessage().contains("'resnet19'"), e.getMessage());
        NAMES.forEach(n -> assertTrue(e.getMessage().contains(n), e.getMessage()));
    }

    @Test
    void buildsWithOptions() {
        StagedNetwork cifar = ModelRegistry.get("cifar_resnet32").build(new Generator(1));
        assertInstanceOf(CifarResNet.class, cifar);
        assertArrayEquals(new int[] {10, 64}, cifar.stateDict().get("linear.weight").shape());
        assertEquals(List.of(5, 5, 5), List.of(blocks(cifar, "layer1"), blocks(cifar, "layer2"), blocks(cifar, "layer3")));

        StagedNetwork net = ModelRegistry.get("resnet18").build(3, 1, new Generator(1));
        assertInstanceOf(ResNet.class, net);
        net.eval();
        try (var _ = NoGrad.enter()) {
            assertArrayEquals(new int[] {1, 3}, net.forward(Tensor.randn(new Generator(2), 1, 1, 32, 32)).shape());
        }
    }

    private static int blocks(StagedNetwork net, String stage) {
        return net.namedChildren().get(stage).namedChildren().size();
    }

    @Test
    void preprocessingRejectsInconsistentValues() {
        var channels = assertThrows(IllegalArgumentException.class, () -> new Preprocessing(32, OptionalInt.empty(),
                Preprocessing.Interpolation.BILINEAR, List.of(0.5), List.of(0.2, 0.2)));
        assertTrue(channels.getMessage().contains("[0.5]"), channels.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Preprocessing(224, OptionalInt.of(200),
                Preprocessing.Interpolation.BILINEAR, MEAN, STD));
        assertThrows(IllegalArgumentException.class, () -> new Preprocessing(32, OptionalInt.empty(),
                Preprocessing.Interpolation.BILINEAR, MEAN, List.of(0.2, 0.0, 0.2)));
    }
}
