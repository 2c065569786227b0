package dev.graft.models.train;

import dev.graft.engine.Generator;
import dev.graft.engine.nn.Parameter;
import dev.graft.models.resnet.CifarResNet;
import dev.graft.models.resnet.ResNet;
import dev.graft.models.resnet.StagedNetwork;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each strategy trains exactly the parameters it names, checked by name against the torchvision layout. */
class StrategyTest {

    private static List<String> trainable(StagedNetwork net) {
        return net.namedParameters().entrySet().stream().filter(e -> e.getValue().isTrainable())
                .map(Map.Entry::getKey).toList();
    }

    private static List<String> named(StagedNetwork net, String... prefixes) {
        return net.namedParameters().keySet().stream()
                .filter(k -> java.util.Arrays.stream(prefixes).anyMatch(k::startsWith)).toList();
    }

    @Test
    void featureExtractTrainsOnlyTheHead() {
        ResNet net = ResNet.resnet18(5, 3, new Generator(1));
        assertEquals(List.of("fc"), Strategy.of(Strategy.Kind.FEATURE_EXTRACT).apply(net));
        assertEquals(List.of("fc.weight", "fc.bias"), trainable(net));
    }

    @Test
    void fineTuneTrainsTheNamedStagesAndTheHead() {
        ResNet net = ResNet.resnet18(5, 3, new Generator(1));
        assertEquals(List.of("layer3", "layer4", "fc"), Strategy.fineTune("layer4", "layer3").apply(net));
        assertEquals(named(net, "layer3.", "layer4.", "fc."), trainable(net));
        // Default: the last backbone stage.
        CifarResNet cifar = CifarResNet.of(20, 4, 3, new Generator(1));
        assertEquals(List.of("layer3", "linear"), Strategy.of(Strategy.Kind.FINE_TUNE).apply(cifar));
        assertEquals(named(cifar, "layer3.", "linear."), trainable(cifar));
        assertTrue(trainable(cifar).contains("layer3.0.bn1.weight"));
    }

    @Test
    void fullAndScratchTrainEverything() {
        for (Strategy.Kind k : List.of(Strategy.Kind.FULL, Strategy.Kind.SCRATCH)) {
            CifarResNet net = CifarResNet.of(20, 4, 3, new Generator(1));
            net.freeze();
            Strategy.of(k).apply(net);
            assertTrue(net.parameters().stream().allMatch(Parameter::isTrainable), k.toString());
        }
    }

    @Test
    void applyingAgainResetsEarlierFlags() {
        CifarResNet net = CifarResNet.of(20, 4, 3, new Generator(1));
        Strategy.of(Strategy.Kind.FULL).apply(net);
        Strategy.of(Strategy.Kind.FEATURE_EXTRACT).apply(net);
        assertEquals(List.of("linear.weight", "linear.bias"), trainable(net));
    }

    @Test
    void unknownStagesAndMisplacedOptionsAreNamed() {
        CifarResNet net = CifarResNet.of(20, 4, 3, new Generator(1));
        var e = assertThrows(IllegalArgumentException.class, () -> Strategy.fineTune("layer4").apply(net));
        assertTrue(e.getMessage().contains("'layer4'") && e.getMessage().contains("[stem, layer1, layer2, layer3, linear]"),
                e.getMessage());
        var misplaced = assertThrows(IllegalArgumentException.class,
                () -> new Strategy(Strategy.Kind.FULL, List.of("layer3")));
        assertTrue(misplaced.getMessage().contains("fine-tune"), misplaced.getMessage());
        assertEquals(Strategy.Kind.FEATURE_EXTRACT, Strategy.Kind.parse("feature-extract"));
        assertThrows(IllegalArgumentException.class, () -> Strategy.Kind.parse("freeze"));
    }
}
