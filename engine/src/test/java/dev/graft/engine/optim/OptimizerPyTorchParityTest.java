package dev.graft.engine.optim;

import dev.graft.engine.DType;
import dev.graft.engine.SafetensorsCases;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Parameter;
import dev.graft.engine.nn.Sequential;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import org.junit.jupiter.api.Tag;

/**
 * Trains the small CNN of make_optim_fixtures.py in F32 with graft's optimizers and matches PyTorch 1.13's
 * parameters (within 1e-5) and optimizer state after the same steps; PyTorch ran in F64 from the same F32 start.
 */
@Tag("backend")
class OptimizerPyTorchParityTest {
    private static final double PARAM_TOLERANCE = 1e-5;
    /** Optimizer buffers range over orders of magnitude (exp_avg_sq ~ g²), so they are compared to their scale. */
    private static final double STATE_RELATIVE_TOLERANCE = 1e-5;
    private static final String STATE = "state/";

    @Test
    void oneSgdStepOnSmallCnnEqualsPyTorchStep() {
        SafetensorsCases.Case c = SmallCnn.FIXTURE.get("sgd_one_step_nesterov");
        // The check: momentum 0.9, Nesterov, weight decay 1e-4 in one group and none in the other.
        assertEquals(1, c.integer("steps"));
        assertEquals(0.9, c.real("momentum"));
        assertTrue(c.flag("nesterov"));
        assertEquals(1e-4, c.real("wd_features"));
        assertEquals(0.0, c.real("wd_head"));
        assertTrue(c.real("lr_features") != c.real("lr_head"));
        List<String> mismatches = mismatches(c, train(c, SmallCnn::optimizer));
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
    }

    @TestFactory
    Stream<DynamicTest> optimizerStepsMatchPyTorch() {
        return optimizerCases().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            List<String> mismatches = mismatches(c, train(c, SmallCnn::optimizer));
            assertTrue(mismatches.isEmpty(), c.name() + ":\n" + String.join("\n", mismatches));
        }));
    }

    /** A parameter frozen for every step keeps its initial value exactly; PyTorch's case agrees. */
    @Test
    void frozenParameterIsUntouched() {
        SafetensorsCases.Case c = SmallCnn.FIXTURE.get("sgd_momentum_frozen_conv");
        assertEquals(c.integer("steps"), c.integer("frozen_steps"));
        String frozen = c.arg("frozen");
        Sequential net = train(c, SmallCnn::optimizer).net();
        float[] initial = SmallCnn.FIXTURE.shared("init/").get(frozen).toFloatArray();
        assertArrayEquals(initial, net.namedParameters().get(frozen).tensor().toFloatArray());
        assertArrayEquals(initial, c.tensor(frozen).toFloatArray());
    }

    @Test
    void fixturesCoverEveryOptimizerVariant() {
        Set<String> names = optimizerCases().map(SafetensorsCases.Case::name).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(List.of("sgd_one_step_nesterov", "sgd_plain", "sgd_momentum", "sgd_nesterov",
                "sgd_dampening", "sgd_momentum_frozen_conv", "adam", "adam_large_eps", "adam_unfrozen_after_one_step",
                "adamw")), names);
    }

    /** The comparison is sharp enough to tell neighbouring variants apart, so its passes mean something. */
    @Test
    void aNeighbouringVariantFailsTheComparison() {
        SafetensorsCases.Case nesterov = SmallCnn.FIXTURE.get("sgd_nesterov");
        assertFalse(mismatches(nesterov, train(nesterov, (groups, c) -> new Sgd(groups, 0.9, 0, false))).isEmpty(),
                "plain momentum must not pass for Nesterov");
        SafetensorsCases.Case adamw = SmallCnn.FIXTURE.get("adamw");
        assertFalse(mismatches(adamw, train(adamw, (groups, c) -> new Adam(groups, 0.9, 0.999, 1e-8))).isEmpty(),
                "coupled (Adam) weight decay must not pass for AdamW");
        SafetensorsCases.Case eps = SmallCnn.FIXTURE.get("adam_large_eps");
        // eps added before dividing by sqrt(1 - beta2^t) acts, at step 1, as eps / sqrt(1 - beta2).
        assertFalse(mismatches(eps, train(eps, (groups, c) -> new Adam(groups, 0.8, 0.9, 1e-2 / Math.sqrt(1 - 0.9))))
                .isEmpty(), "eps placed before the second moment's bias correction must not pass");
    }

    private static Stream<SafetensorsCases.Case> optimizerCases() {
        return SmallCnn.FIXTURE.cases().values().stream().filter(c -> !c.arg("op").equals("clip_grad_norm"));
    }

    /** The network and the optimizer's state dict after a case's steps. */
    private record Trained(Sequential net, Map<String, Tensor> state) {
    }

    /** Runs the case's steps with the optimizer {@code make} builds, freezing as the case says. */
    private static Trained train(SafetensorsCases.Case c,
                                 BiFunction<List<ParamGroup>, SafetensorsCases.Case, Optimizer> make) {
        Sequential net = SmallCnn.build();
        Optimizer optimizer = make.apply(SmallCnn.groups(net, c), c);
        Parameter frozen = c.has("frozen") ? net.namedParameters().get(c.arg("frozen")) : null;
        for (int s = 0; s < c.integer("steps"); s++) {
            if (frozen != null) {
                frozen.setTrainable(s >= c.integer("frozen_steps"));
            }
            SmallCnn.trainStep(net, optimizer);
        }
        return new Trained(net, optimizer.stateDict());
    }

    /** Every parameter within 1e-5 of PyTorch's and, where the case holds PyTorch's state, the state too. */
    private static List<String> mismatches(SafetensorsCases.Case c, Trained trained) {
        List<String> out = new ArrayList<>();
        trained.net().namedParameters().forEach((name, p) -> {
            double[] actual = p.tensor().toDoubleArray();
            double[] expected = c.tensor(name).toDoubleArray();
            double worst = worstDifference(actual, expected);
            if (!(worst <= PARAM_TOLERANCE)) {
                out.add(name + ": differs by up to " + worst);
            }
        });
        if (c.tensors().keySet().stream().anyMatch(k -> k.startsWith(STATE))) {
            out.addAll(stateMismatches(c, trained.state()));
        }
        return out;
    }

    /** graft's state dict against PyTorch's optimizer state: same keys, step counts exact, buffers to scale. */
    private static List<String> stateMismatches(SafetensorsCases.Case c, Map<String, Tensor> state) {
        List<String> out = new ArrayList<>();
        Map<String, Tensor> expected = new LinkedHashMap<>();
        c.tensors().forEach((k, t) -> {
            if (k.startsWith(STATE)) {
                expected.put(k.substring(STATE.length()), t);
            }
        });
        if (!new TreeSet<>(state.keySet()).equals(new TreeSet<>(expected.keySet()))) {
            out.add("state keys " + new TreeSet<>(state.keySet()) + " differ from PyTorch's " + new TreeSet<>(expected.keySet()));
            return out;
        }
        expected.forEach((key, ref) -> {
            Tensor actual = state.get(key);
            if (key.endsWith(".step")) {
                if (actual.dtype() != DType.I64 || actual.dim() != 0 || actual.toLongArray()[0] != ref.toLongArray()[0]) {
                    out.add(key + ": " + actual + " but PyTorch counted " + ref.toLongArray()[0]);
                }
                return;
            }
            double[] r = ref.toDoubleArray();
            double scale = 0;
            for (double v : r) {
                scale = Math.max(scale, Math.abs(v));
            }
            double worst = worstDifference(actual.toDoubleArray(), r);
            if (!(worst <= STATE_RELATIVE_TOLERANCE * scale)) {
                out.add(key + ": differs by up to " + worst + " at scale " + scale);
            }
        });
        return out;
    }

    private static double worstDifference(double[] actual, double[] expected) {
        assertEquals(expected.length, actual.length);
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
        }
        return worst;
    }
}
