package dev.graft.engine.optim;

import dev.graft.engine.DType;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Parameter;
import dev.graft.engine.nn.Sequential;
import dev.graft.engine.safetensors.SafetensorsFile;
import dev.graft.engine.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import org.junit.jupiter.api.Tag;

/**
 * Resuming from {@link Optimizer#stateDict()}: an optimizer that loads another's state, directly or through a
 * safetensors file, continues bit for bit as the original does; bad state is rejected with every problem listed
 * and nothing changed.
 */
@Tag("backend")
class OptimizerStateTest {
    private static final String LATE = "4.weight";

    @TempDir
    Path dir;

    private static Map<String, Function<List<ParamGroup>, Optimizer>> optimizers() {
        Map<String, Function<List<ParamGroup>, Optimizer>> all = new LinkedHashMap<>();
        all.put("sgd nesterov", g -> new Sgd(g, 0.9, 0, true));
        all.put("sgd dampening", g -> new Sgd(g, 0.8, 0.3, false));
        all.put("adam", g -> new Adam(g, 0.9, 0.999, 1e-8));
        all.put("adamw", g -> new AdamW(g, 0.8, 0.99, 1e-6));
        return all;
    }

    private static List<ParamGroup> groups(Sequential net) {
        return SmallCnn.groups(net, 0.02, 1e-3, 0.01, 0);
    }

    private static void steps(Sequential net, Optimizer optimizer, int n) {
        for (int i = 0; i < n; i++) {
            SmallCnn.trainStep(net, optimizer);
        }
    }

    /**
     * A runs 2 steps with {@value #LATE} frozen (so it has no state yet); B, over a copy of the network, loads A's
     * state directly and C through a safetensors file; all unfreeze {@value #LATE} and run 3 more steps.
     */
    @TestFactory
    Stream<DynamicTest> resumedOptimizerContinuesBitForBit() {
        return optimizers().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Function<List<ParamGroup>, Optimizer> make = e.getValue();
            Sequential netA = SmallCnn.build();
            Optimizer a = make.apply(groups(netA));
            netA.setTrainable(LATE, false);
            steps(netA, a, 2);
            Map<String, Tensor> saved = a.stateDict();
            assertFalse(saved.isEmpty());
            assertTrue(saved.keySet().stream().noneMatch(k -> k.startsWith(LATE + ".")), saved.keySet().toString());

            Path file = dir.resolve(e.getKey().replace(' ', '_') + ".safetensors");
            SafetensorsWriter.write(file, saved, null);
            Map<String, Tensor> reread;
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                reread = f.tensors();
            }
            Sequential netB = copyOf(netA);
            Optimizer b = make.apply(groups(netB));
            b.loadStateDict(saved);
            Sequential netC = copyOf(netA);
            Optimizer c = make.apply(groups(netC));
            c.loadStateDict(reread);
            // Control: the same copy without the state must drift, or this test could not fail.
            Sequential netD = copyOf(netA);
            Optimizer d = make.apply(groups(netD));

            for (Sequential net : List.of(netA, netB, netC, netD)) {
                net.setTrainable(LATE, true);
            }
            steps(netA, a, 3);
            steps(netB, b, 3);
            steps(netC, c, 3);
            steps(netD, d, 3);
            assertBitwiseEqual(netA, netB);
            assertBitwiseEqual(netA, netC);
            assertBitwiseEqual(a.stateDict(), b.stateDict());
            assertBitwiseEqual(a.stateDict(), c.stateDict());
            assertFalse(sameParameters(netA, netD), "a fresh optimizer must not reproduce the resumed run");
        }));
    }

    private static Sequential copyOf(Sequential net) {
        Sequential copy = SmallCnn.build();
        copy.loadStateDict(net.stateDict(), true);
        return copy;
    }

    private static boolean sameParameters(Sequential x, Sequential y) {
        Map<String, Parameter> py = y.namedParameters();
        return x.namedParameters().entrySet().stream().allMatch(e -> Arrays.equals(
                e.getValue().tensor().toFloatArray(), py.get(e.getKey()).tensor().toFloatArray()));
    }

    private static void assertBitwiseEqual(Sequential expected, Sequential actual) {
        Map<String, Parameter> pa = actual.namedParameters();
        expected.namedParameters().forEach((name, p) ->
                assertArrayEquals(p.tensor().toFloatArray(), pa.get(name).tensor().toFloatArray(), name));
    }

    private static void assertBitwiseEqual(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        expected.forEach((k, t) -> {
            assertEquals(t.dtype(), actual.get(k).dtype(), k);
            assertArrayEquals(t.shape(), actual.get(k).shape(), k);
            if (t.dtype() == DType.I64) {
                assertArrayEquals(t.toLongArray(), actual.get(k).toLongArray(), k);
            } else {
                assertArrayEquals(t.toDoubleArray(), actual.get(k).toDoubleArray(), k);
            }
        });
    }

    @Test
    void stateDictKeysFollowPyTorchsBufferNames() {
        Sequential net = SmallCnn.build();
        Adam adam = new Adam(groups(net), 0.9, 0.999, 1e-8);
        net.setTrainable(LATE, false);
        steps(net, adam, 2);
        net.setTrainable(LATE, true);
        steps(net, adam, 1);
        Map<String, Tensor> state = adam.stateDict();
        List<String> expected = net.namedParameters().keySet().stream()
                .flatMap(n -> Stream.of(n + ".exp_avg", n + ".exp_avg_sq", n + ".step")).toList();
        assertEquals(expected, List.copyOf(state.keySet()));
        assertEquals(3, state.get("0.weight.step").toLongArray()[0]);
        assertEquals(1, state.get(LATE + ".step").toLongArray()[0]);
        assertEquals(0, state.get(LATE + ".step").dim());
        assertArrayEquals(new int[] {8, 4, 3, 3}, state.get(LATE + ".exp_avg").shape());

        Sgd sgd = new Sgd(groups(net), 0.9, 0, false);
        steps(net, sgd, 1);
        assertEquals(net.namedParameters().keySet().stream().map(n -> n + ".momentum_buffer").toList(),
                List.copyOf(sgd.stateDict().keySet()));
        Sgd plain = new Sgd(groups(net), 0, 0, false);
        steps(net, plain, 1);
        assertTrue(plain.stateDict().isEmpty());
    }

    @Test
    void stateDictIsACopy() {
        Sequential net = SmallCnn.build();
        Adam adam = new Adam(groups(net), 0.9, 0.999, 1e-8);
        steps(net, adam, 1);
        Map<String, Tensor> first = adam.stateDict();
        first.get("9.bias.exp_avg").fill(123);
        assertFalse(adam.stateDict().get("9.bias.exp_avg").toDoubleArray()[0] == 123);
        Map<String, Tensor> before = adam.stateDict();
        steps(net, adam, 1);
        Map<String, Tensor> after = adam.stateDict();
        assertEquals(1, before.get("9.bias.step").toLongArray()[0]);
        assertEquals(2, after.get("9.bias.step").toLongArray()[0]);
    }

    @Test
    void loadingAnEmptyStateStartsAfresh() {
        Sequential netA = SmallCnn.build();
        Adam a = new Adam(groups(netA), 0.9, 0.999, 1e-8);
        steps(netA, a, 2);
        Sequential netB = copyOf(netA);
        Adam fresh = new Adam(groups(netB), 0.9, 0.999, 1e-8);
        a.loadStateDict(Map.of());
        assertTrue(a.stateDict().isEmpty());
        steps(netA, a, 1);
        steps(netB, fresh, 1);
        assertBitwiseEqual(netA, netB);
    }

    @Test
    void loadConvertsDtypes() {
        Parameter p = new Parameter(Tensor.zeros(2));
        Adam adam = new Adam(List.of(new ParamGroup("g", Map.of("w", p), 0.1, 0)), 0.9, 0.999, 1e-8);
        adam.loadStateDict(Map.of("w.exp_avg", Tensor.of(new double[] {0.5, -0.25}, 2),
                "w.exp_avg_sq", Tensor.of(new double[] {1, 2}, 2), "w.step", Tensor.scalar(4)));
        Map<String, Tensor> state = adam.stateDict();
        assertEquals(DType.F32, state.get("w.exp_avg").dtype());
        assertArrayEquals(new float[] {0.5f, -0.25f}, state.get("w.exp_avg").toFloatArray());
        assertEquals(4, state.get("w.step").toLongArray()[0]);
        assertEquals(DType.I64, state.get("w.step").dtype());
    }

    @Test
    void badStateIsRejectedWithEveryProblemListedAndChangesNothing() {
        Sequential net = SmallCnn.build();
        Adam adam = new Adam(groups(net), 0.9, 0.999, 1e-8);
        steps(net, adam, 1);
        Map<String, Tensor> before = adam.stateDict();
        Map<String, Tensor> bad = new LinkedHashMap<>(before);
        bad.put("nope.exp_avg", Tensor.zeros(2));
        bad.put("0.weight.momentum_buffer", Tensor.zeros(4, 3, 3, 3));
        bad.put("0.weight", Tensor.zeros(4, 3, 3, 3));
        bad.put("1.weight.exp_avg", Tensor.zeros(5));
        bad.put("1.bias.exp_avg_sq", null);
        bad.put("5.weight.step", Tensor.ofLongs(new long[] {0}));
        bad.put("5.bias.step", Tensor.scalar(1.5));
        bad.put("9.bias.step", Tensor.ofLongs(new long[] {2}, 1));
        bad.put("9.weight.exp_avg", Tensor.zeros(DType.I64, 3, 8));
        bad.remove("4.weight.exp_avg_sq");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.loadStateDict(bad));
        String msg = e.getMessage();
        assertTrue(msg.startsWith("adam: cannot load state dict:"), msg);
        for (String expected : List.of(
                "unknown keys (3): [nope.exp_avg, 0.weight.momentum_buffer, 0.weight]",
                "1.weight.exp_avg: shape [5] does not match the parameter's [4]",
                "1.bias.exp_avg_sq: value is null",
                "5.weight.step: a step count must be >= 1, got 0",
                "5.bias.step: a step count must be a whole number >= 1, got 1.5",
                "9.bias.step: a step count must be a scalar (shape []), got shape [1]",
                "9.weight.exp_avg: dtype I64 is not floating point",
                "4.weight: incomplete state, missing [4.weight.exp_avg_sq]")) {
            assertTrue(msg.contains(expected), "missing '" + expected + "' in:\n" + msg);
        }
        assertBitwiseEqual(before, adam.stateDict());
        assertThrows(IllegalArgumentException.class, () -> adam.loadStateDict(null));

        Sgd plain = new Sgd(groups(net), 0, 0, false);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> plain.loadStateDict(Map.of("0.weight.momentum_buffer", Tensor.zeros(4, 3, 3, 3))));
        assertEquals("sgd: cannot load state dict:\n  unknown keys (1): [0.weight.momentum_buffer]", none.getMessage());
    }
}
