package dev.graft.engine.optim;

import dev.graft.engine.Tensor;
import dev.graft.engine.cpu.OptimizerKernels;

import java.util.List;

/**
 * The update shared by {@link Adam} and {@link AdamW}, PyTorch 1.13's {@code _single_tensor_adam(w)}: with
 * {@code t} the parameter's own step count, {@code m = β1·m + (1-β1)·g}, {@code v = β2·v + (1-β2)·g²} and
 * {@code p -= lr / (1-β1^t) · m / (sqrt(v) / sqrt(1-β2^t) + eps)}. The weight decay is either added to the
 * gradient (Adam) or applied to the parameter first (AdamW). Dense F32 CPU parameters are updated in place by one
 * fused pass ({@link OptimizerKernels#adam}); other tensors go through tensor ops.
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

    void apply(ParamGroup group, String name, Tensor p, Tensor grad) {
        OptimizerState.Entry e = state.get(name);
        if (e == null) {
            e = state.create(name, OptimizerState.zerosLike(p), OptimizerState.zerosLike(p));
        }
        e.step++;
        double lr = group.lr();
        double wd = group.weightDecay();
        if (OptimizerKernels.fusable(p, grad, e.buffers[0], e.buffers[1])) {
            OptimizerKernels.adam(p, grad, e.buffers[0], e.buffers[1], e.step, lr, wd, decoupledDecay, beta1, beta2, eps);
            return;
        }
        Tensor g = grad;
        if (wd != 0) {
            if (decoupledDecay) {
                p.copyFrom(p.mul(1 - lr * wd));
            } else {
                g = g.add(p.mul(wd));
            }
        }
        Tensor m = e.buffers[0].mul(beta1).add(g.mul(1 - beta1));
        Tensor v = e.buffers[1].mul(beta2).add(g.mul(g).mul(1 - beta2));
        e.buffers[0] = m;
        e.buffers[1] = v;
        double biasCorrection1 = 1 - Math.pow(beta1, e.step);
        double biasCorrection2 = 1 - Math.pow(beta2, e.step);
        Tensor denom = v.sqrt().mul(1 / Math.sqrt(biasCorrection2)).add(eps);
        p.copyFrom(p.sub(m.div(denom).mul(lr / biasCorrection1)));
    }

    @Override
    public String toString() {
        return "betas=(" + beta1 + ", " + beta2 + "), eps=" + eps;
    }
}
