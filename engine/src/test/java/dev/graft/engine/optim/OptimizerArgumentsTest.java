package dev.graft.engine.optim;

import dev.graft.engine.DType;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parameter groups and optimizer construction: argument checks, in-place updates without autograd history. */
class OptimizerArgumentsTest {

    private static Parameter param(double... values) {
        return new Parameter(Tensor.of(values, values.length));
    }

    private static ParamGroup group(String name, double lr, double wd, Object... namesAndParams) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (int i = 0; i < namesAndParams.length; i += 2) {
            params.put((String) namesAndParams[i], (Parameter) namesAndParams[i + 1]);
        }
        return new ParamGroup(name, params, lr, wd);
    }

    private static void assertRejected(String messageStart, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(messageStart), "'" + e.getMessage() + "' should start with '"
                + messageStart + "'");
    }

    @Test
    void paramGroupKeepsOrderAndBaseLr() {
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (String n : List.of("z", "a", "m")) {
            params.put(n, param(1));
        }
        ParamGroup g = new ParamGroup("g", params, 0.1, 0.01);
        params.clear();
        assertEquals(List.of("z", "a", "m"), List.copyOf(g.params().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> g.params().clear());
        g.setLr(0.5);
        assertEquals(0.5, g.lr());
        assertEquals(0.1, g.baseLr());
        assertEquals(0.01, g.weightDecay());
        assertEquals("g", g.name());
    }

    @Test
    void paramGroupRejectsBadArguments() {
        Map<String, Parameter> ok = Map.of("w", param(1));
        assertRejected("ParamGroup: name", () -> new ParamGroup("", ok, 0.1, 0));
        assertRejected("ParamGroup: name", () -> new ParamGroup(null, ok, 0.1, 0));
        assertRejected("ParamGroup 'g': params", () -> new ParamGroup("g", null, 0.1, 0));
        Map<String, Parameter> nullValue = new HashMap<>();
        nullValue.put("w", null);
        assertRejected("ParamGroup 'g': every parameter", () -> new ParamGroup("g", nullValue, 0.1, 0));
        assertRejected("ParamGroup 'g': every parameter", () -> new ParamGroup("g", Map.of("", param(1)), 0.1, 0));
        for (double lr : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertRejected("ParamGroup 'g': lr must be finite and >= 0, got " + lr, () -> new ParamGroup("g", ok, lr, 0));
        }
        for (double wd : new double[] {-1e-4, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertRejected("ParamGroup 'g': weight decay", () -> new ParamGroup("g", ok, 0.1, wd));
        }
        ParamGroup g = new ParamGroup("g", ok, 0.1, 0);
        assertRejected("ParamGroup 'g': lr must be finite and >= 0, got -1.0", () -> g.setLr(-1));
        assertEquals(0.1, g.lr(), "a rejected lr changes nothing");
    }

    @Test
    void optimizersRejectBadGroups() {
        Parameter shared = param(1, 2);
        assertRejected("sgd: needs at least one parameter group", () -> new Sgd(List.of(), 0, 0, false));
        assertRejected("adam: needs at least one parameter group", () -> new Adam(null, 0.9, 0.999, 1e-8));
        assertRejected("adamw: parameter groups must not be null",
                () -> new AdamW(Arrays.asList(group("a", 0.1, 0, "w", param(1)), null), 0.9, 0.999, 1e-8));
        assertRejected("sgd: group name 'a' is used twice",
                () -> new Sgd(List.of(group("a", 0.1, 0, "w", param(1)), group("a", 0.1, 0, "v", param(1))), 0, 0, false));
        assertRejected("sgd: parameter name 'w' appears twice",
                () -> new Sgd(List.of(group("a", 0.1, 0, "w", param(1)), group("b", 0.1, 0, "w", param(1))), 0, 0, false));
        assertRejected("sgd: parameter b:v is the same parameter as a:w",
                () -> new Sgd(List.of(group("a", 0.1, 0, "w", shared), group("b", 0.1, 0, "v", shared)), 0, 0, false));
    }

    @Test
    void optimizersRejectBadHyperParameters() {
        List<ParamGroup> groups = List.of(group("a", 0.1, 0, "w", param(1)));
        assertRejected("sgd: momentum must be finite and >= 0, got -0.1", () -> new Sgd(groups, -0.1, 0, false));
        assertRejected("sgd: momentum", () -> new Sgd(groups, Double.NaN, 0, false));
        assertRejected("sgd: dampening must be in [0, 1], got 1.5", () -> new Sgd(groups, 0.9, 1.5, false));
        assertRejected("sgd: Nesterov momentum needs momentum > 0 and dampening 0", () -> new Sgd(groups, 0, 0, true));
        assertRejected("sgd: Nesterov momentum needs momentum > 0 and dampening 0", () -> new Sgd(groups, 0.9, 0.1, true));
        assertRejected("adam: betas must be in [0, 1), got beta1=1.0", () -> new Adam(groups, 1, 0.999, 1e-8));
        assertRejected("adamw: betas must be in [0, 1), got beta1=0.9 beta2=-0.5", () -> new AdamW(groups, 0.9, -0.5, 1e-8));
        assertRejected("adam: eps must be finite and >= 0, got -1.0E-8", () -> new Adam(groups, 0.9, 0.999, -1e-8));
        assertRejected("adamw: eps", () -> new AdamW(groups, 0.9, 0.999, Double.NaN));
    }

    /** For each optimizer: updates land in the parameter's own storage and record no autograd history. */
    @Test
    void stepUpdatesInPlaceWithoutHistory() {
        for (DType dtype : DType.values()) {
            if (!dtype.isFloatingPoint()) {
                continue;
            }
            for (int kind = 0; kind < 3; kind++) {
                Parameter p = new Parameter(Tensor.of(new double[] {1, -2, 3}, 3).to(dtype));
                Tensor tensor = p.tensor();
                Tensor view = tensor.detach();
                List<ParamGroup> groups = List.of(group("g", 0.1, 0.01, "w", p));
                Optimizer opt = switch (kind) {
                    case 0 -> new Sgd(groups, 0.9, 0, true);
                    case 1 -> new Adam(groups, 0.9, 0.999, 1e-8);
                    default -> new AdamW(groups, 0.9, 0.999, 1e-8);
                };
                tensor.mul(tensor).sum().backward();
                opt.step();
                assertSame(tensor, p.tensor());
                assertTrue(tensor.isLeaf() && tensor.requiresGrad(), opt.toString());
                assertEquals(dtype, tensor.dtype());
                assertTrue(tensor.toDoubleArray()[0] < 1, opt + " moved the parameter");
                assertArrayEquals(tensor.toDoubleArray(), view.toDoubleArray(), "a view sees the update");
                opt.stateDict().values().forEach(t -> assertNull(t.gradFnName()));
            }
        }
    }

    @Test
    void parametersWithoutGradAreSkippedAndStartTheirOwnStepCountLater() {
        Parameter a = param(1, 1);
        Parameter b = param(2, 2);
        Adam adam = new Adam(List.of(group("g", 0.1, 0, "a", a, "b", b)), 0.9, 0.999, 1e-8);
        for (int i = 0; i < 2; i++) {
            adam.zeroGrad();
            a.tensor().sum().backward();
            adam.step();
        }
        assertArrayEquals(new double[] {2, 2}, b.tensor().toDoubleArray(), "no grad, no update");
        assertEquals(List.of("a.exp_avg", "a.exp_avg_sq", "a.step"), new ArrayList<>(adam.stateDict().keySet()));
        adam.zeroGrad();
        assertNull(a.grad());
        b.tensor().sum().backward();
        adam.step();
        assertEquals(2, adam.stateDict().get("a.step").toLongArray()[0]);
        assertEquals(1, adam.stateDict().get("b.step").toLongArray()[0]);
        // Adam's first step moves every element by lr whatever the gradient's size.
        assertArrayEquals(new double[] {1.9, 1.9}, b.tensor().toDoubleArray(), 1e-7);
        assertNotNull(b.grad());
    }

    @Test
    void frozenParameterWithALeftoverGradIsStillUpdatedAsInPyTorch() {
        Parameter p = param(1);
        Sgd sgd = new Sgd(List.of(group("g", 0.5, 0, "w", p)), 0, 0, false);
        p.tensor().mul(2).sum().backward();
        p.setTrainable(false);
        sgd.step();
        assertArrayEquals(new double[] {0}, p.tensor().toDoubleArray());
    }
}
