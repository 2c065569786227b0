package dev.graft.engine.optim;

import java.util.List;

/**
 * AdamW as {@code torch.optim.AdamW} (PyTorch 1.13): each group's weight decay is decoupled from the gradient,
 * the parameter shrinking by {@code p *= 1 - lr·wd} before the Adam update. State as {@link Adam}.
 */
public final class AdamW extends Optimizer {
    private final AdamUpdate update;

    public AdamW(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        super("adamw", groups, AdamUpdate.BUFFERS, true);
        this.update = new AdamUpdate("adamw", state(), beta1, beta2, eps, true);
    }

    @Override
    public void step() {
        forEachBatch(update::apply);
    }

    @Override
    public String toString() {
        return "AdamW(" + update + ", " + groups() + ")";
    }
}
