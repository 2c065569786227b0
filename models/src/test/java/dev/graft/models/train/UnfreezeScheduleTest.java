package dev.graft.models.train;

import dev.graft.engine.Generator;
import dev.graft.models.resnet.ResNet;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnfreezeScheduleTest {

    @Test
    void stagesJoinAtTheirEpochAndStayTrainable() {
        UnfreezeSchedule s = UnfreezeSchedule.parse("3:layer4, 6:layer3,6:layer2");
        assertEquals("3:layer4,6:layer3,6:layer2", s.toString());
        ResNet net = ResNet.resnet18(4, 3, new Generator(1));
        Strategy.of(Strategy.Kind.FEATURE_EXTRACT).apply(net);
        assertEquals(List.of(), s.applyThrough(2, net));
        assertFalse(net.isStageTrainable("layer4"));
        assertEquals(List.of("layer4"), s.applyThrough(3, net));
        assertTrue(net.isStageTrainable("layer4"));
        assertEquals(List.of(), s.applyThrough(5, net));
        assertEquals(List.of("layer3", "layer2"), s.applyThrough(6, net));
        assertFalse(net.isStageTrainable("layer1"));
        // A resumed run applies everything due up to its epoch at once.
        ResNet resumed = ResNet.resnet18(4, 3, new Generator(1));
        Strategy.of(Strategy.Kind.FEATURE_EXTRACT).apply(resumed);
        assertEquals(List.of("layer4", "layer3", "layer2"), s.applyThrough(7, resumed));
    }

    @Test
    void badSpecsAreNamed() {
        for (String bad : new String[] {"layer4", "0:layer4", "x:layer4", "3:", "3:layer4:x"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> UnfreezeSchedule.parse(bad), bad);
            assertTrue(e.getMessage().contains("EPOCH:STAGE"), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class,
                () -> UnfreezeSchedule.parse("2:layer9").check(ResNet.resnet18(4, 3, new Generator(1))));
        assertTrue(e.getMessage().contains("'layer9'") && e.getMessage().contains("layer4"), e.getMessage());
        assertTrue(UnfreezeSchedule.parse(" ").isEmpty());
    }
}
