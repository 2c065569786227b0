package dev.graft.engine.optim;

import dev.graft.engine.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Stochastic gradient descent as {@code torch.optim.SGD} (PyTorch 1.13): each group's weight decay is added to
 * the gradient ({@code d = g + wd·p}); with momentum the buffer starts as the first {@code d} and then becomes
 * {@code momentum·buf + (1 - dampening)·d}; Nesterov steps along {@code d + momentum·buf}, plain momentum along
 * {@code buf}; the parameter moves by {@code -lr} times that. State: {@code momentum_buffer} when momentum is
 * non-zero. The parameters' backend updates a whole group in place ({@link dev.graft.engine.OptimizerOps#sgdStep}).
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
        forEachBatch(b -> {
            int n = b.params().size();
            List<Tensor> buffers = new ArrayList<>(n);
            boolean[] first = new boolean[n];
            for (int i = 0; i < n; i++) {
                if (momentum == 0) {
                    buffers.add(null);
                    continue;
                }
                OptimizerState.Entry e = state().get(b.names().get(i));
                first[i] = e == null;
                buffers.add(first[i] ? state().create(b.names().get(i), Tensor.zerosLike(b.params().get(i))).buffers[0]
                        : e.buffers[0]);
            }
            ParamGroup g = b.group();
            b.backend().sgdStep(b.params(), b.grads(), buffers, first, g.lr(), g.weightDecay(), momentum, dampening,
                    nesterov);
        });
    }

    @Override
    public String toString() {
        return "Sgd(momentum=" + momentum + ", dampening=" + dampening + ", nesterov=" + nesterov + ", " + groups() + ")";
    }
}
