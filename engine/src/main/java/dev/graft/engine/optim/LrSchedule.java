package dev.graft.engine.optim;

/**
 * A learning-rate multiplier of each group's {@link ParamGroup#baseLr()} as a function of the optimizer step
 * (0-based), applied before every step: {@code group.setLr(group.baseLr() * schedule.factor(step))}. Unlike
 * PyTorch's stateful schedulers it is a pure function of the step, so resuming needs only the step number.
 */
public interface LrSchedule {
    /** The multiplier for optimizer step {@code step} (>= 0). */
    double factor(long step);

    /** Sets every group's lr to its base lr times {@link #factor(long) factor(step)}. */
    default void apply(Optimizer optimizer, long step) {
        double f = factor(step);
        for (ParamGroup g : optimizer.groups()) {
            g.setLr(g.baseLr() * f);
        }
    }

    /** Factor 1 at every step. */
    static LrSchedule constant() {
        return new LrSchedules.Constant();
    }

    /** torch StepLR counted in optimizer steps: {@code gamma^floor(step / stepSize)}. */
    static LrSchedule step(long stepSize, double gamma) {
        return new LrSchedules.StepDecay(stepSize, gamma);
    }

    /**
     * Linear warm-up over {@code warmupSteps} (factor {@code (s+1)/warmupSteps}), then a cosine from 1 down to
     * {@code minFactor} at {@code totalSteps} (torch CosineAnnealingLR's shape with {@code T_max = totalSteps -
     * warmupSteps} after the warm-up), staying at {@code minFactor} beyond. {@code warmupSteps} may be 0.
     */
    static LrSchedule cosine(long totalSteps, long warmupSteps, double minFactor) {
        return new LrSchedules.WarmupCosine(totalSteps, warmupSteps, minFactor);
    }

    /**
     * torch.optim.lr_scheduler.OneCycleLR ({@code anneal_strategy='cos', three_phase=False}), lr only (no momentum
     * cycling); factors relative to {@code max_lr = baseLr}: a cosine from {@code 1/divFactor} up to 1 at step
     * {@code pctStart·totalSteps - 1}, then down to {@code 1/(divFactor·finalDivFactor)} at {@code totalSteps - 1}.
     * Like PyTorch it rejects steps beyond {@code totalSteps}.
     */
    static LrSchedule oneCycle(long totalSteps, double pctStart, double divFactor, double finalDivFactor) {
        return new LrSchedules.OneCycle(totalSteps, pctStart, divFactor, finalDivFactor);
    }
}
