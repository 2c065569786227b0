package dev.graft.models.resnet;

import dev.graft.engine.DType;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Parameter;
import dev.graft.models.ModelRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every architecture's state dict has PyTorch's keys, in PyTorch's order, with PyTorch's shapes, and the same
 * number of parameters (fixtures from torchvision and from akamaster's CIFAR definition); its stages cover the
 * parameters exactly once.
 */
class StateDictKeysTest {

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
        "wide_resnet50_2", "cifar_resnet20", "cifar_resnet110"})
    void matchesPyTorch(String name) {
        StagedNetwork net = ModelRegistry.get(name).build(new Generator(1));
        ModelFixtures.KeyList expected = ModelFixtures.keyList(name);

        assertEquals(expected.lines(), keyLines(net.stateDict()), name + ": state dict keys, order or shapes");
        assertEquals(expected.parameters(), net.parameterCount(), name + ": parameter count");

        List<String> counters = net.stateDict().keySet().stream().filter(k -> k.endsWith(".num_batches_tracked"))
                .toList();
        assertEquals(counters, net.optionalStateKeys());
        counters.forEach(k -> assertEquals(DType.I64, net.stateDict().get(k).dtype(), k));

        assertStagesPartitionParameters(net);
    }

    static List<String> keyLines(Map<String, Tensor> state) {
        List<String> lines = new ArrayList<>();
        state.forEach((k, t) -> lines.add(k + " " + ModelFixtures.formatShape(t.shape())));
        return lines;
    }

    /** Freezing one stage at a time must touch disjoint parameter sets that together are all parameters. */
    private static void assertStagesPartitionParameters(StagedNetwork net) {
        Map<String, Parameter> params = net.namedParameters();
        Set<String> covered = new HashSet<>();
        for (String stage : net.stages().keySet()) {
            net.setStageTrainable(stage, false);
            params.forEach((name, p) -> {
                if (!p.isTrainable()) {
                    assertTrue(covered.add(name), name + " belongs to stage " + stage + " and an earlier one");
                }
            });
            net.setStageTrainable(stage, true);
        }
        assertEquals(params.keySet(), covered, "parameters outside every stage");
    }
}
