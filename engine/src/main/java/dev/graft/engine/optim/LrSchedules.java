package dev.graft.engine.optim;

/** The schedules behind {@link LrSchedule}'s factory methods; records, so that they print their settings. */
final class LrSchedules {
    private LrSchedules() {
    }

    private static void checkStep(String schedule, long step) {
        if (step < 0) {
            throw new IllegalArgumentException(schedule + ": step must be >= 0, got " + step);
        }
    }

    /** {@code end + (start - end)/2 · (1 + cos(π·pct))}: PyTorch's {@code _annealing_cos}. */
    private static double cosineBetween(double start, double end, double pct) {
        return end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1);
    }

    record Constant() implements LrSchedule {
        @Override
        public double factor(long step) {
            checkStep("constant", step);
            return 1;
        }
    }

    record StepDecay(long stepSize, double gamma) implements LrSchedule {
        StepDecay {
            if (stepSize < 1 || !(gamma > 0) || Double.isInfinite(gamma)) {
                throw new IllegalArgumentException("step: need stepSize >= 1 and a finite gamma > 0, got stepSize="
                        + stepSize + " gamma=" + gamma);
            }
        }

        @Override
        public double factor(long step) {
            checkStep("step", step);
            return Math.pow(gamma, (double) (step / stepSize));
        }
    }

    record WarmupCosine(long totalSteps, long warmupSteps, double minFactor) implements LrSchedule {
        WarmupCosine {
            if (warmupSteps < 0 || totalSteps <= warmupSteps || !(minFactor >= 0 && minFactor <= 1)) {
                throw new IllegalArgumentException("cosine: need 0 <= warmupSteps < totalSteps and minFactor in [0, 1],"
                        + " got totalSteps=" + totalSteps + " warmupSteps=" + warmupSteps + " minFactor=" + minFactor);
            }
        }

        @Override
        public double factor(long step) {
            checkStep("cosine", step);
            if (step < warmupSteps) {
                return (step + 1) / (double) warmupSteps;
            }
            long span = totalSteps - warmupSteps;
            long t = Math.min(step - warmupSteps, span);
            return cosineBetween(1, minFactor, t / (double) span);
        }
    }

    record OneCycle(long totalSteps, double pctStart, double divFactor, double finalDivFactor) implements LrSchedule {
        OneCycle {
            if (totalSteps < 1 || !(divFactor > 0) || Double.isInfinite(divFactor) || !(finalDivFactor > 0)
                    || Double.isInfinite(finalDivFactor)) {
                throw new IllegalArgumentException("oneCycle: need totalSteps >= 1 and finite divFactor, finalDivFactor"
                        + " > 0, got totalSteps=" + totalSteps + " divFactor=" + divFactor + " finalDivFactor="
                        + finalDivFactor);
            }
            double peak = pctStart * totalSteps - 1;
            if (!(peak > 0 && peak < totalSteps - 1)) {
                throw new IllegalArgumentException("oneCycle: the peak step pctStart * totalSteps - 1 must lie strictly"
                        + " between 0 and totalSteps - 1 so that both phases have a length, got " + peak
                        + " for pctStart=" + pctStart + " totalSteps=" + totalSteps);
            }
        }

        @Override
        public double factor(long step) {
            checkStep("oneCycle", step);
            if (step > totalSteps) {
                throw new IllegalArgumentException("oneCycle: step " + step + " is beyond totalSteps " + totalSteps);
            }
            // PyTorch's phase boundaries, as floats: the peak need not fall on a whole step.
            double peak = pctStart * totalSteps - 1;
            double last = totalSteps - 1;
            double initial = 1 / divFactor;
            if (step <= peak) {
                return cosineBetween(initial, 1, step / peak);
            }
            return cosineBetween(1, initial / finalDivFactor, (step - peak) / (last - peak));
        }
    }
}
