package dev.graft.engine.optim;

import dev.graft.engine.Backend;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Parameter;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Updates the parameters of its {@link ParamGroup}s from their gradients, as {@code torch.optim} does, and keeps
 * per-parameter state (momentum, moment estimates, step counts) that {@link #stateDict()} exports for resuming.
 * Updates write the parameter tensors in place, since the network holds them, and record no autograd history.
 */
public abstract class Optimizer {
    private final String kind;
    private final List<ParamGroup> groups;
    private final OptimizerState state;

    /**
     * @param kind        the name used in messages ("sgd", "adam")
     * @param bufferNames the per-parameter buffers, shaped like the parameter, in state-dict key order
     * @param countsSteps whether each parameter also keeps its own number of updates
     */
    Optimizer(String kind, List<ParamGroup> groups, List<String> bufferNames, boolean countsSteps) {
        this.kind = kind;
        if (groups == null || groups.isEmpty()) {
            throw new IllegalArgumentException(kind + ": needs at least one parameter group");
        }
        if (groups.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException(kind + ": parameter groups must not be null, got " + groups);
        }
        this.groups = List.copyOf(groups);
        checkDistinct();
        this.state = new OptimizerState(kind, this.groups, bufferNames, countsSteps);
    }

    /** Names key the state dict and a parameter listed twice would be updated twice a step: all must be unique. */
    private void checkDistinct() {
        Set<String> groupNames = new HashSet<>();
        Set<String> paramNames = new HashSet<>();
        Map<Parameter, String> seen = new IdentityHashMap<>();
        List<String> problems = new ArrayList<>();
        for (ParamGroup g : groups) {
            if (!groupNames.add(g.name())) {
                problems.add("group name '" + g.name() + "' is used twice");
            }
            g.params().forEach((name, p) -> {
                if (!paramNames.add(name)) {
                    problems.add("parameter name '" + name + "' appears twice");
                }
                String earlier = seen.putIfAbsent(p, g.name() + ":" + name);
                if (earlier != null) {
                    problems.add("parameter " + g.name() + ":" + name + " is the same parameter as " + earlier);
                }
            });
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(kind + ": " + String.join("; ", problems));
        }
    }

    /** The groups in the order given; each group's lr may be changed between steps. */
    public List<ParamGroup> groups() {
        return groups;
    }

    /**
     * Updates every parameter whose tensor has a grad; parameters without one (frozen, or not reached by
     * backward) are skipped and their state is left untouched, so a parameter frozen now and unfrozen by
     * gradual unfreezing later simply starts getting updates then.
     */
    public abstract void step();

    /** Drops the gradient of every parameter of every group. */
    public void zeroGrad() {
        for (ParamGroup g : groups) {
            g.params().values().forEach(p -> p.tensor().zeroGrad());
        }
    }

    /**
     * Everything needed to resume exactly, as copies: per-parameter buffers keyed
     * {@code "<paramName>.<buffer>"} (e.g. {@code "layer4.0.conv1.weight.momentum_buffer"}, {@code ".exp_avg"},
     * {@code ".exp_avg_sq"}) and, for Adam and AdamW, per-parameter step counts as I64 scalars keyed
     * {@code "<paramName>.step"}. A parameter that was never updated has no entries.
     */
    public Map<String, Tensor> stateDict() {
        return state.export();
    }

    /**
     * Replaces the whole state with {@code state}, converting dtypes; parameters without entries get no state.
     * Everything is validated first, so a failed load changes nothing.
     *
     * @throws IllegalArgumentException listing every unknown key, mis-shaped or null tensor, invalid step count
     *                                  and parameter whose entries are incomplete
     */
    public void loadStateDict(Map<String, Tensor> state) {
        this.state.load(state);
    }

    /** The parameters of one group that have a gradient, in group order, all on {@code backend}. */
    record Batch(ParamGroup group, Backend backend, List<String> names, List<Tensor> params, List<Tensor> grads) {
    }

    /**
     * Runs {@code update} once per group and backend over the parameters that have a grad, recording no autograd
     * history, so that a backend can update a whole group in one pass.
     */
    final void forEachBatch(Consumer<Batch> update) {
        try (var _ = NoGrad.enter()) {
            for (ParamGroup g : groups) {
                Map<Backend, Batch> batches = new LinkedHashMap<>();
                g.params().forEach((name, p) -> {
                    Tensor grad = p.grad();
                    if (grad == null) {
                        return;
                    }
                    Tensor param = p.tensor();
                    if (grad.backend() != param.backend()) {
                        throw new IllegalStateException(kind + ": gradient of " + name + " lives on backend "
                                + grad.backend().name() + ", the parameter on " + param.backend().name());
                    }
                    Batch b = batches.computeIfAbsent(param.backend(),
                            k -> new Batch(g, k, new ArrayList<>(), new ArrayList<>(), new ArrayList<>()));
                    b.names().add(name);
                    b.params().add(param);
                    b.grads().add(grad);
                });
                batches.values().forEach(update);
            }
        }
    }

    final OptimizerState state() {
        return state;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + groups;
    }
}
