package dev.graft.engine.optim;

import dev.graft.engine.Tensor;
import dev.graft.engine.cpu.OptimizerKernels;

import java.util.List;

/**
 * Stochastic gradient descent as {@code torch.optim.SGD} (PyTorch 1.13): each group's weight decay is added to
 * the gradient ({@code d = g + wd·p}); with momentum the buffer starts as the first {@code d} and then becomes
 * {@code momentum·buf + (1 - dampening)·d}; Nesterov steps along {@code d + momentum·buf}, plain momentum along
 * {@code buf}; the parameter moves by {@code -lr} times that. State: {@code momentum_buffer} when momentum is
 * non-zero. Dense F32 CPU parameters are updated in place by one fused pass ({@link OptimizerKernels#sgd}).
 */
public final class Sgd extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final boolean nesterov;

    public Sgd(List<ParamGroup> groups, double momentum, double dampening, boolean nesterov) {
        super("sgd", groups, momentum != 0 ? List.of("momentum_buffer") : List.of(), false);
        if (!(momentum >= 0) || Double.isInfinite(momentum)) {
            throw new IllegalArgumentException("sgd: momentum must be finite and >= 0, got " + momentum);
        }
        if (!(dampening >= 0 && dampening <= 1)) {
            throw new IllegalArgumentException("sgd: dampening must be in [0, 1], got " + dampening);
        }
        if (nesterov && (momentum == 0 || dampening != 0)) {
            throw new IllegalArgumentException("sgd: Nesterov momentum needs momentum > 0 and dampening 0, got momentum "
                    + momentum + " and dampening " + dampening);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
    }

    @Override
    public void step() {
        forEachGradient(this::update);
    }

    private void update(ParamGroup group, String name, Tensor p, Tensor grad) {
        OptimizerState.Entry e = momentum == 0 ? null : state().get(name);
        if (OptimizerKernels.fusable(p, grad) && (e == null || OptimizerKernels.fusable(e.buffers[0]))) {
            boolean first = momentum != 0 && e == null;
            Tensor buf = momentum == 0 ? null
                    : first ? state().create(name, OptimizerState.zerosLike(p)).buffers[0] : e.buffers[0];
            OptimizerKernels.sgd(p, grad, buf, first, group.lr(), group.weightDecay(), momentum, dampening, nesterov);
            return;
        }
        Tensor d = group.weightDecay() == 0 ? grad : grad.add(p.mul(group.weightDecay()));
        if (momentum != 0) {
            Tensor buf;
            if (e == null) {
                buf = OptimizerState.copyOf(d);
                state().create(name, buf);
            } else {
                buf = e.buffers[0].mul(momentum).add(d.mul(1 - dampening));
                e.buffers[0] = buf;
            }
            d = nesterov ? d.add(buf.mul(momentum)) : buf;
        }
        p.copyFrom(p.sub(d.mul(group.lr())));
    }

    @Override
    public String toString() {
        return "Sgd(momentum=" + momentum + ", dampening=" + dampening + ", nesterov=" + nesterov + ", " + groups() + ")";
    }
}
