package dev.graft.engine.optim;

import java.util.List;

/**
 * Adam as {@code torch.optim.Adam} (PyTorch 1.13): each group's weight decay is L2, added to the gradient
 * ({@code g + wd·p}) before the moment estimates. See {@link AdamW} for decoupled decay. State per parameter:
 * {@code exp_avg}, {@code exp_avg_sq} and its own step count.
 */
public final class Adam extends Optimizer {
    private final AdamUpdate update;

    public Adam(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        super("adam", groups, AdamUpdate.BUFFERS, true);
        this.update = new AdamUpdate("adam", state(), beta1, beta2, eps, false);
    }

    @Override
    public void step() {
        forEachBatch(update::apply);
    }

    @Override
    public String toString() {
        return "Adam(" + update + ", " + groups() + ")";
    }
}
