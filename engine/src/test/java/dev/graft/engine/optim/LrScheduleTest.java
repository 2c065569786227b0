package dev.graft.engine.optim;

import dev.graft.engine.SafetensorsCases;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Parameter;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LrSchedule} factor sequences against PyTorch's StepLR, CosineAnnealingLR and OneCycleLR
 * ({@code get_last_lr()} before each optimizer step, from make_optim_fixtures.py), the warm-up against its closed
 * form, and argument checks.
 */
class LrScheduleTest {
    private static final SafetensorsCases FIXTURE = SafetensorsCases.load("schedules.safetensors");
    private static final double RELATIVE_TOLERANCE = 1e-12;

    /** The graft schedule a fixture case describes. */
    private static LrSchedule schedule(SafetensorsCases.Case c) {
        return switch (c.arg("schedule")) {
            case "step" -> LrSchedule.step(c.integer("step_size"), c.real("gamma"));
            case "cosine" -> LrSchedule.cosine(c.integer("total_steps"), 0, c.real("min_factor"));
            case "one_cycle" -> LrSchedule.oneCycle(c.integer("total_steps"), c.real("pct_start"), c.real("div_factor"),
                    c.real("final_div_factor"));
            default -> throw new IllegalArgumentException(c.name() + ": unknown schedule " + c.arg("schedule"));
        };
    }

    /**
     * The largest relative difference between {@code base·factor(s + offset)} and PyTorch's lr at step s; an lr
     * of 0 (a cosine's end) is compared to the base lr's scale instead.
     */
    private static double worstRelativeError(LrSchedule schedule, SafetensorsCases.Case c, long offset) {
        double[] lrs = c.tensor("lr").toDoubleArray();
        double base = c.real("base_lr");
        double worst = 0;
        for (int s = 0; s < lrs.length; s++) {
            double scale = lrs[s] == 0 ? base : Math.abs(lrs[s]);
            double error = Math.abs(base * schedule.factor(s + offset) - lrs[s]) / scale;
            worst = Double.isNaN(error) ? Double.POSITIVE_INFINITY : Math.max(worst, error);
        }
        return worst;
    }

    @TestFactory
    Stream<DynamicTest> factorsMatchPyTorch() {
        return FIXTURE.cases().values().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            assertEquals(c.integer("steps"), c.tensor("lr").numel());
            double worst = worstRelativeError(schedule(c), c, 0);
            assertTrue(worst <= RELATIVE_TOLERANCE, c.name() + ": relative error " + worst);
        }));
    }

    @Test
    void fixturesCoverEverySchedule() {
        assertEquals(List.of("step", "step", "cosine", "cosine", "one_cycle", "one_cycle"),
                FIXTURE.cases().values().stream().map(c -> c.arg("schedule")).toList());
    }

    /** Off-by-one phases or a slightly different peak are caught, so passes mean something. */
    @Test
    void aShiftedOrMisshapenScheduleIsCaught() {
        SafetensorsCases.Case step = FIXTURE.get("step_3_half");
        assertTrue(worstRelativeError(schedule(step), step, 1) > 0.1);
        SafetensorsCases.Case cycle = FIXTURE.get("one_cycle_20");
        assertTrue(worstRelativeError(LrSchedule.oneCycle(20, 0.35, 25, 1e4), cycle, 0) > 1e-3);
        assertTrue(worstRelativeError(LrSchedule.oneCycle(21, 0.3, 25, 1e4), cycle, 0) > 1e-3);
    }

    @Test
    void warmUpIsLinearThenTheCosineOfPyTorch() {
        SafetensorsCases.Case cosine = FIXTURE.get("cosine_12_min");
        int warmup = 5;
        LrSchedule schedule = LrSchedule.cosine(cosine.integer("total_steps") + warmup, warmup, cosine.real("min_factor"));
        for (int s = 0; s < warmup; s++) {
            assertEquals((s + 1) / (double) warmup, schedule.factor(s), 1e-15, "warm-up step " + s);
        }
        // After the warm-up the factors are PyTorch's CosineAnnealingLR over the remaining steps.
        assertTrue(worstRelativeError(schedule, cosine, warmup) <= RELATIVE_TOLERANCE);
        assertEquals(1, LrSchedule.cosine(10, 1, 0).factor(0));
    }

    @Test
    void cosineStaysAtItsMinimumAfterTheLastStep() {
        LrSchedule schedule = LrSchedule.cosine(10, 2, 0.1);
        assertEquals(0.1, schedule.factor(10), 1e-15);
        assertEquals(0.1, schedule.factor(11), 1e-15);
        assertEquals(0.1, schedule.factor(1_000_000), 1e-15);
    }

    @Test
    void constantAndStepClosedForms() {
        assertEquals(1, LrSchedule.constant().factor(0));
        assertEquals(1, LrSchedule.constant().factor(123_456_789L));
        LrSchedule step = LrSchedule.step(4, 0.1);
        assertEquals(1, step.factor(3));
        assertEquals(0.1, step.factor(4), 1e-17);
        assertEquals(1e-3, step.factor(12), 1e-18);
    }

    @Test
    void applySetsEveryGroupsLrFromItsBaseLr() {
        ParamGroup a = new ParamGroup("a", Map.of("w", new Parameter(Tensor.zeros(2))), 0.1, 0);
        ParamGroup b = new ParamGroup("b", Map.of("v", new Parameter(Tensor.zeros(2))), 0.02, 0);
        Sgd sgd = new Sgd(List.of(a, b), 0, 0, false);
        LrSchedule schedule = LrSchedule.step(2, 0.5);
        schedule.apply(sgd, 5);
        assertEquals(0.025, a.lr(), 1e-17);
        assertEquals(0.005, b.lr(), 1e-17);
        schedule.apply(sgd, 0);
        assertEquals(0.1, a.lr());
        assertEquals(0.1, a.baseLr());
        assertEquals(0.02, b.lr());
    }

    @Test
    void oneCycleRejectsStepsBeyondTheTotalAsPyTorchDoes() {
        LrSchedule schedule = LrSchedule.oneCycle(20, 0.3, 25, 1e4);
        assertEquals(1 / 25.0 / 1e4, schedule.factor(19), 1e-15);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> schedule.factor(21));
        assertEquals("oneCycle: step 21 is beyond totalSteps 20", e.getMessage());
    }

    @Test
    void rejectsBadArguments() {
        List<Supplier<LrSchedule>> bad = List.of(
                () -> LrSchedule.step(0, 0.5),
                () -> LrSchedule.step(3, 0),
                () -> LrSchedule.step(3, Double.NaN),
                () -> LrSchedule.cosine(10, 10, 0),
                () -> LrSchedule.cosine(10, -1, 0),
                () -> LrSchedule.cosine(10, 0, 1.5),
                () -> LrSchedule.cosine(0, 0, 0),
                () -> LrSchedule.oneCycle(0, 0.3, 25, 1e4),
                () -> LrSchedule.oneCycle(10, 0.05, 25, 1e4),
                () -> LrSchedule.oneCycle(10, 1.0, 25, 1e4),
                () -> LrSchedule.oneCycle(10, Double.NaN, 25, 1e4),
                () -> LrSchedule.oneCycle(10, 0.3, 0, 1e4),
                () -> LrSchedule.oneCycle(10, 0.3, 25, Double.POSITIVE_INFINITY));
        for (Supplier<LrSchedule> s : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, s::get);
            assertTrue(e.getMessage().matches("(step|cosine|oneCycle): .*got.*"), e.getMessage());
        }
        for (LrSchedule s : List.of(LrSchedule.constant(), LrSchedule.step(2, 0.5), LrSchedule.cosine(5, 1, 0),
                LrSchedule.oneCycle(10, 0.3, 25, 1e4))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.factor(-1));
            assertTrue(e.getMessage().endsWith(": step must be >= 0, got -1"), e.getMessage());
        }
    }
}
