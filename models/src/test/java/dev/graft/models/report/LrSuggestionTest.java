package dev.graft.models.report;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LrSuggestionTest {
    private static final int N = 200;
    private static final int RAMP_START = 60;
    private static final int RAMP_END = 140;

    /** 200 learning rates from 1e-7 to 10, evenly spaced in log. */
    private static double[] lrs() {
        double[] lrs = new double[N];
        for (int i = 0; i < N; i++) {
            lrs[i] = Math.pow(10, -7 + 8.0 * i / (N - 1));
        }
        return lrs;
    }

    /**
     * Flat at 2.5, then falling by 0.01 a step from index 60 to 140, then flat again. The smoothed curve lags the
     * ramp and falls ever faster while the ramp lasts; once the input is flat its fall slows. Its steepest forward
     * difference is therefore the one whose end takes in the ramp's last fall: from index 139 to 140.
     */
    private static double[] ramp() {
        double[] losses = new double[N];
        for (int i = 0; i < N; i++) {
            losses[i] = 2.5 - 0.01 * Math.clamp(i - RAMP_START, 0, RAMP_END - RAMP_START);
        }
        return losses;
    }

    @Test
    void suggestsTheEndOfTheSteepestFall() {
        double[] lrs = lrs();
        assertEquals(lrs[RAMP_END - 1], LrSuggestion.suggest(lrs, ramp()));
    }

    @Test
    void ignoresEverythingFromDivergenceOn() {
        double[] lrs = lrs();
        double[] losses = ramp();
        // after index 170 the loss explodes, then collapses steeply: a fall the rule must not see
        for (int i = 170; i < N; i++) {
            losses[i] = i < 185 ? 1.7 * Math.exp(0.3 * (i - 170)) : 0.01;
        }
        double[] smoothed = LrSuggestion.smooth(losses, LrSuggestion.BETA);
        int cut = LrSuggestion.usable(smoothed);
        assertTrue(cut > 170 && cut < 185, "diverges at " + cut);
        assertTrue(smoothed[cut] > 4 * 1.7 && smoothed[cut - 1] <= 4 * 1.7);
        assertEquals(lrs[RAMP_END - 1], LrSuggestion.suggest(lrs, losses));
        losses[180] = Double.NaN;
        assertEquals(lrs[RAMP_END - 1], LrSuggestion.suggest(lrs, losses));
    }

    @Test
    void noisyRampStaysNearItsEnd() {
        double[] lrs = lrs();
        for (long seed = 1; seed <= 20; seed++) {
            Random r = new Random(seed);
            double[] losses = ramp();
            for (int i = 0; i < N; i++) {
                losses[i] += 0.01 * r.nextGaussian();
            }
            double suggested = LrSuggestion.suggest(lrs, losses);
            // over 2000 NumPy seeds this noise moved the pick to indices 121..142
            assertTrue(suggested >= lrs[115] && suggested <= lrs[145], "seed " + seed + ": " + suggested);
        }
    }

    @Test
    void slopeIsAgainstLogLearningRate() {
        // two equal falls of the loss; the second happens over a tenth of the log-distance, so it is steeper
        double[] lrs = new double[40];
        double[] losses = new double[40];
        for (int i = 0; i < 40; i++) {
            lrs[i] = Math.exp(i < 30 ? i : 30 + 0.1 * (i - 30));
            losses[i] = 3;
        }
        // both falls are single steps of the raw loss, at i = 10 and i = 31
        for (int i = 11; i < 40; i++) {
            losses[i] -= 0.1;
        }
        for (int i = 31; i < 40; i++) {
            losses[i] -= 0.1;
        }
        assertEquals(lrs[30], LrSuggestion.suggest(lrs, losses));
    }

    @Test
    void badInputIsRejectedWithTheValues() {
        double[] lrs = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1};
        double[] losses = {2, 1.9, 1.7, 1.5, 1.4, 1.3};
        var e = assertThrows(IllegalArgumentException.class, () -> LrSuggestion.suggest(lrs, new double[5]));
        assertTrue(e.getMessage().contains("6 learning rates but 5 losses"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LrSuggestion.suggest(new double[] {1, 2, 2, 3, 4, 5}, losses));
        assertTrue(e.getMessage().contains("must increase"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LrSuggestion.suggest(new double[] {0, 1, 2, 3, 4, 5}, losses));
        assertTrue(e.getMessage().contains("positive and finite, got 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LrSuggestion.suggest(new double[] {1, 2, 3, 4}, new double[] {2, 1.9, 1.8, 1.7}));
        assertTrue(e.getMessage().contains("at least 5 points") && e.getMessage().contains("got 4 of 4"),
                e.getMessage());
        // diverges at the fourth point: too little to read a slope from
        e = assertThrows(IllegalArgumentException.class,
                () -> LrSuggestion.suggest(lrs, new double[] {1, 1, 1, 400, 500, 600}));
        assertTrue(e.getMessage().contains("got 3 of 6"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LrSuggestion.smooth(losses, 1));
        assertTrue(e.getMessage().contains("beta must be in [0, 1), got 1.0"), e.getMessage());
        // the smoothed fall is steepest from 1e-3 to 1e-2
        assertEquals(1e-3, LrSuggestion.suggest(lrs, losses), "the smallest valid input works");
    }

    @Test
    void smoothingKeepsConstantsAndFollowsTheClosedFormForALine() {
        double[] constant = new double[300];
        Arrays.fill(constant, 1.75);
        for (double v : LrSuggestion.smooth(constant, 0.98)) {
            assertEquals(1.75, v, 1e-13);
        }
        // x_k = k: s_i = i − β(1 − (i+1)β^i + iβ^(i+1)) / ((1 − β)(1 − β^(i+1)))
        double beta = 0.98;
        double[] line = new double[300];
        for (int i = 0; i < line.length; i++) {
            line[i] = i;
        }
        double[] s = LrSuggestion.smooth(line, beta);
        for (int i = 0; i < line.length; i++) {
            double closed = i - beta * (1 - (i + 1) * Math.pow(beta, i) + i * Math.pow(beta, i + 1))
                    / ((1 - beta) * (1 - Math.pow(beta, i + 1)));
            assertEquals(closed, s[i], 1e-9 * Math.max(1, i), "i = " + i);
        }
        assertArrayEquals(line, LrSuggestion.smooth(line, 0));
    }

    /** The recursion against its unrolled sum: s_i = (1 − β) Σ_k β^(i−k) x_k / (1 − β^(i+1)). */
    @Property(tries = 100)
    void smoothingMatchesTheWeightedSum(@ForAll @IntRange(min = 1, max = 80) int n,
                                        @ForAll @DoubleRange(min = 0, max = 0.999) @Scale(4) double beta,
                                        @ForAll long seed) {
        Random r = new Random(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = 5 * r.nextDouble();
        }
        double[] s = LrSuggestion.smooth(x, beta);
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int k = 0; k <= i; k++) {
                sum += Math.pow(beta, i - k) * x[k];
            }
            assertEquals((1 - beta) * sum / (1 - Math.pow(beta, i + 1)), s[i], 1e-9);
        }
    }
}
