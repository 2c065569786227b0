package dev.graft.models.train;

import dev.graft.engine.Generator;
import dev.graft.engine.nn.Parameter;
import dev.graft.engine.optim.ParamGroup;
import dev.graft.models.resnet.CifarResNet;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParamGroupsTest {

    @Test
    void discriminativeRatesAndNoDecayOnBiasAndNorm() {
        CifarResNet net = CifarResNet.of(20, 4, 3, new Generator(1));
        var groups = ParamGroups.build(net, 0.1, 1e-4, 0.5, 0.8, false);
        Map<String, ParamGroup> byName = new LinkedHashMap<>();
        groups.forEach(g -> byName.put(g.name(), g));
        assertEquals(java.util.List.of("stem", "stem.no_decay", "layer1", "layer1.no_decay", "layer2", "layer2.no_decay",
                "layer3", "layer3.no_decay", "linear", "linear.no_decay"), java.util.List.copyOf(byName.keySet()));
        // Four stages below the head: stage i trains at lr * mult * decay^(4 - i).
        assertEquals(0.1, byName.get("linear").baseLr(), 1e-15);
        assertEquals(0.1 * 0.5 * 0.8, byName.get("layer3").baseLr(), 1e-15);
        assertEquals(0.1 * 0.5 * Math.pow(0.8, 4), byName.get("stem.no_decay").baseLr(), 1e-15);
        assertEquals(1e-4, byName.get("layer2").weightDecay());
        assertEquals(0, byName.get("layer2.no_decay").weightDecay());
        assertEquals(Set.of("linear.bias"), byName.get("linear.no_decay").params().keySet());
        assertTrue(byName.get("layer1.no_decay").params().keySet().stream()
                .allMatch(k -> k.contains(".bn") && (k.endsWith("weight") || k.endsWith("bias"))));
        assertTrue(byName.get("layer1").params().keySet().stream().allMatch(k -> k.contains(".conv")));
        // Every parameter exactly once, frozen ones included (gradual unfreezing needs no new groups).
        net.freeze();
        Set<Parameter> seen = new HashSet<>();
        int count = 0;
        for (ParamGroup g : ParamGroups.build(net, 0.1, 1e-4, 1, 1, false)) {
            seen.addAll(g.params().values());
            count += g.params().size();
        }
        assertEquals(net.parameters().size(), count);
        assertEquals(new HashSet<>(net.parameters()), seen);
    }

    @Test
    void decayEverythingWhenAsked() {
        var groups = ParamGroups.build(CifarResNet.of(20, 4, 3, new Generator(1)), 0.1, 1e-4, 1, 1, true);
        assertTrue(groups.stream().noneMatch(g -> g.name().endsWith(".no_decay")));
        assertTrue(groups.stream().allMatch(g -> g.baseLr() == 0.1));
    }

    @Test
    void badValuesAreNamed() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ParamGroups.build(CifarResNet.of(20, 4, 3, new Generator(1)), 0.1, 0, 1, 1.5, false));
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());
    }
}
