package dev.graft.engine.nn;

import dev.graft.engine.DType;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FreezeTest {
    private static final long TOTAL = 1391;
    private static final long LAYER4 = 944;
    private static final long FC = 27;

    private static TestModels.TinyResNet net() {
        return new TestModels.TinyResNet(new Generator(3));
    }

    private static List<String> trainableNames(Module m) {
        return m.namedParameters().entrySet().stream().filter(e -> e.getValue().isTrainable()).map(Map.Entry::getKey)
                .toList();
    }

    @Test
    void globSegmentsAndDoubleStar() {
        assertTrue(matches("fc.*", "fc.weight"));
        assertFalse(matches("fc.*", "fc.0.weight"));
        assertFalse(matches("fc.*", "fcx.weight"));
        assertTrue(matches("layer4.**", "layer4.0.downsample.1.weight"));
        assertFalse(matches("layer4.**", "layer40.0.conv1.weight"));
        assertTrue(matches("**.bn*.weight", "bn1.weight"));
        assertTrue(matches("**.bn*.weight", "layer1.0.bn2.weight"));
        assertFalse(matches("**.bn*.weight", "layer1.0.bn2.bias"));
        assertTrue(matches("layer*.*.conv1.weight", "layer1.0.conv1.weight"));
        assertFalse(matches("layer*.conv1.weight", "layer1.0.conv1.weight"));
        assertTrue(matches("layer1.**.weight", "layer1.weight"));
        assertTrue(matches("layer1.**.weight", "layer1.0.conv1.weight"));
        assertTrue(matches("layer**weight", "layer1.0.conv1.weight"));
        assertTrue(matches("a+b.(c)", "a+b.(c)"));
        assertThrows(IllegalArgumentException.class, () -> Glob.compile(""));
    }

    private static boolean matches(String glob, String name) {
        return Glob.compile(glob).matcher(name).matches();
    }

    @Provide
    Arbitrary<String> dottedNames() {
        return Arbitraries.strings().withChars("abz019_").ofMinLength(1).ofMaxLength(5).list().ofMinSize(1).ofMaxSize(5)
                .map(segments -> String.join(".", segments));
    }

    @Property(tries = 200)
    void literalGlobMatchesOnlyItself(@ForAll("dottedNames") String name, @ForAll("dottedNames") String other) {
        Pattern p = Glob.compile(name);
        assertTrue(p.matcher(name).matches());
        assertEquals(name.equals(other), p.matcher(other).matches());
    }

    @Property(tries = 200)
    void starStaysInOneSegmentAndDoubleStarCrosses(@ForAll("dottedNames") String prefix, @ForAll("dottedNames") String rest) {
        String name = prefix + "." + rest;
        assertTrue(Glob.compile("**").matcher(name).matches());
        assertTrue(Glob.compile(prefix + ".**").matcher(name).matches());
        assertEquals(!rest.contains("."), Glob.compile(prefix + ".*").matcher(name).matches());
        assertTrue(Glob.compile("**." + rest).matcher(name).matches());
    }

    @Test
    void freezeBackboneThenUnfreezeLayer4AndHead() {
        var net = net();
        assertEquals(TOTAL, net.parameterCount());
        assertEquals(TOTAL, net.trainableParameterCount());
        net.freeze();
        assertEquals(0, net.trainableParameterCount());
        assertTrue(net.parameters().stream().noneMatch(p -> p.tensor().requiresGrad()));
        assertEquals(9, net.setTrainable("layer4.**", true));
        assertEquals(2, net.setTrainable("fc.*", true));
        assertEquals(LAYER4 + FC, net.trainableParameterCount());
        assertEquals(TOTAL, net.parameterCount());
        assertTrue(trainableNames(net).stream().allMatch(n -> n.startsWith("layer4.") || n.startsWith("fc.")));
        assertTrue(net.fc.weight().tensor().requiresGrad());
        assertFalse(net.layer1.get(0).parameters().getFirst().tensor().requiresGrad());
    }

    @Test
    void globFreezesBatchNormWeightsEverywhere() {
        var net = net();
        assertEquals(5, net.setTrainable("**.bn*.weight", false));
        assertEquals(List.of("bn1.weight", "layer1.0.bn1.weight", "layer1.0.bn2.weight", "layer4.0.bn1.weight",
                "layer4.0.bn2.weight"), net.namedParameters().entrySet().stream()
                .filter(e -> !e.getValue().isTrainable()).map(Map.Entry::getKey).toList());
        assertTrue(net.layer4.namedParameters().get("0.downsample.1.weight").isTrainable());
        assertEquals(1, net.setTrainable("**.downsample.1.weight", false));
    }

    @Test
    void globMatchingNothingNamesTheGlob() {
        var net = net();
        var e = assertThrows(IllegalArgumentException.class, () -> net.setTrainable("layer5.**", false));
        assertTrue(e.getMessage().contains("'layer5.**'") && e.getMessage().contains("20 parameters"), e.getMessage());
        assertEquals(TOTAL, net.trainableParameterCount());
    }

    @Test
    void freezeAndUnfreezeActOnTheSubtreeOnly() {
        var net = net();
        net.layer1.freeze();
        assertEquals(TOTAL - 304, net.trainableParameterCount());
        net.unfreeze();
        assertEquals(TOTAL, net.trainableParameterCount());
    }

    @Test
    void parameterSummaryAndTable() {
        var net = net();
        net.freeze();
        net.setTrainable("fc.*", true);
        List<Module.ParameterInfo> rows = net.parameterSummary();
        assertEquals(20, rows.size());
        Module.ParameterInfo first = rows.getFirst();
        assertEquals("conv1.weight", first.name());
        assertArrayEquals(new int[] {4, 3, 3, 3}, first.shape());
        assertFalse(first.trainable());
        assertEquals(108, first.numel());
        assertEquals("fc.bias", rows.getLast().name());
        assertTrue(rows.getLast().trainable());
        assertEquals(TOTAL, rows.stream().mapToLong(Module.ParameterInfo::numel).sum());

        String table = net.summary();
        List<String> lines = table.lines().toList();
        assertEquals(22, lines.size(), table);
        assertTrue(lines.get(0).matches("parameter\\s+shape\\s+trainable\\s+elements"), lines.get(0));
        assertTrue(lines.get(1).matches("conv1\\.weight\\s+\\[4, 3, 3, 3]\\s+no\\s+108"), lines.get(1));
        assertTrue(lines.get(20).matches("fc\\.bias\\s+\\[3]\\s+yes\\s+3"), lines.get(20));
        assertTrue(lines.get(21).contains("TinyResNet: 1,391 elements in 20 tensors, 27 trainable, 1,364 frozen"),
                lines.get(21));
    }

    @Test
    void frozenBatchNormUsesRunningStatisticsInTrainingMode() {
        var bn = new BatchNorm2d(4);
        assertTrue(bn.isTraining());
        assertFalse(bn.usesRunningStatistics());
        bn.freeze();
        assertTrue(bn.usesRunningStatistics());
        bn.setUseBatchStatsWhenFrozen(true);
        assertTrue(bn.usesBatchStatsWhenFrozen());
        assertFalse(bn.usesRunningStatistics());
        bn.setUseBatchStatsWhenFrozen(false);
        bn.weight().setTrainable(true);
        assertFalse(bn.usesRunningStatistics(), "only all-frozen parameters freeze the statistics");
        bn.weight().setTrainable(false);
        bn.bias().setTrainable(true);
        assertFalse(bn.usesRunningStatistics(), "a trainable bias alone keeps the batch statistics too");
        bn.eval();
        assertTrue(bn.usesRunningStatistics());
    }

    @Test
    void batchNormWithoutParametersIsFrozenOnlyWhenAsked() {
        var bn = new BatchNorm2d(4, 1e-5, 0.1, false, true);
        assertTrue(bn.parameters().isEmpty());
        assertFalse(bn.usesRunningStatistics());
        var net = new Sequential(bn);
        net.freeze();
        assertTrue(bn.usesRunningStatistics());
        net.unfreeze();
        assertFalse(bn.usesRunningStatistics());
        var untracked = new BatchNorm2d(4, 1e-5, 0.1, true, false);
        untracked.freeze();
        untracked.eval();
        assertFalse(untracked.usesRunningStatistics(), "without running statistics only batch statistics exist");
    }

    @Test
    void parameterKeepsRequiresGradInStepWithTrainable() {
        var p = new Parameter(Tensor.zeros(2, 2));
        assertTrue(p.isTrainable() && p.tensor().requiresGrad());
        p.setTrainable(false);
        assertFalse(p.tensor().requiresGrad());
        assertEquals("Parameter(F32 [2, 2], frozen)", p.toString());
        var frozen = new Parameter(Tensor.zeros(1), false);
        assertFalse(frozen.tensor().requiresGrad());
        var e = assertThrows(IllegalArgumentException.class, () -> new Parameter(Tensor.zeros(2).requiresGrad(true).mul(2)));
        assertTrue(e.getMessage().contains("leaf"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Parameter(Tensor.zeros(DType.I64, 2)));
    }
}
