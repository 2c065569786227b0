package dev.graft.engine.optim;

import dev.graft.engine.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The update shared by {@link Adam} and {@link AdamW}, PyTorch 1.13's {@code _single_tensor_adam(w)}: with
 * {@code t} the parameter's own step count, {@code m = β1·m + (1-β1)·g}, {@code v = β2·v + (1-β2)·g²} and
 * {@code p -= lr / (1-β1^t) · m / (sqrt(v) / sqrt(1-β2^t) + eps)}. The weight decay is either added to the
 * gradient (Adam) or applied to the parameter first (AdamW). The parameters' backend updates them in place, a
 * whole group at a time ({@link dev.graft.engine.OptimizerOps#adamStep}).
 */
final class AdamUpdate {
    static final List<String> BUFFERS = List.of("exp_avg", "exp_avg_sq");

    private final OptimizerState state;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final boolean decoupledDecay;

    AdamUpdate(String kind, OptimizerState state, double beta1, double beta2, double eps, boolean decoupledDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException(kind + ": betas must be in [0, 1), got beta1=" + beta1 + " beta2=" + beta2);
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException(kind + ": eps must be finite and >= 0, got " + eps);
        }
        this.state = state;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.decoupledDecay = decoupledDecay;
    }

    void apply(Optimizer.Batch b) {
        int n = b.params().size();
        List<Tensor> expAvgs = new ArrayList<>(n);
        List<Tensor> expAvgSqs = new ArrayList<>(n);
        long[] steps = new long[n];
        for (int i = 0; i < n; i++) {
            String name = b.names().get(i);
            OptimizerState.Entry e = state.get(name);
            if (e == null) {
                Tensor p = b.params().get(i);
                e = state.create(name, Tensor.zerosLike(p), Tensor.zerosLike(p));
            }
            steps[i] = ++e.step;
            expAvgs.add(e.buffers[0]);
            expAvgSqs.add(e.buffers[1]);
        }
        ParamGroup g = b.group();
        b.backend().adamStep(b.params(), b.grads(), expAvgs, expAvgSqs, steps, g.lr(), g.weightDecay(), decoupledDecay,
                beta1, beta2, eps);
    }

    @Override
    public String toString() {
        return "betas=(" + beta1 + ", " + beta2 + "), eps=" + eps;
    }
}
