package dev.graft.engine.nn;

import dev.graft.engine.NoGrad;
import dev.graft.engine.Shape;
import dev.graft.engine.Backend;
import dev.graft.engine.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A layer or network: named parameters, buffers and child modules, registered in order, with PyTorch's dotted
 * names ({@code layer1.0.bn1.running_mean}), so state dicts exchange with PyTorch checkpoints key for key.
 * Subclasses register their parts in the constructor and implement {@link #forward}.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    public abstract Tensor forward(Tensor x);

    // ---------------------------------------------------------------- registration

    protected final Parameter registerParameter(String name, Parameter parameter) {
        checkNewName(name, parameter);
        parameters.put(name, parameter);
        return parameter;
    }

    /** Registers state that is saved and loaded with the parameters but never trained (running statistics). */
    protected final Tensor registerBuffer(String name, Tensor buffer) {
        checkNewName(name, buffer);
        if (buffer.requiresGrad()) {
            throw new IllegalArgumentException(kind() + ": buffer '" + name + "' must not require grad");
        }
        buffers.put(name, buffer);
        return buffer;
    }

    protected final <M extends Module> M registerModule(String name, M module) {
        checkNewName(name, module);
        checkNoCycle(name, module);
        children.put(name, module);
        return module;
    }

    /** Swaps the child registered as {@code name}, keeping its position (e.g. a new classifier head). */
    protected final <M extends Module> M replaceModule(String name, M module) {
        if (!children.containsKey(name)) {
            throw new IllegalArgumentException(kind() + ": no child module '" + name + "' to replace; children are "
                    + children.keySet());
        }
        checkNoCycle(name, module);
        children.put(name, module);
        return module;
    }

    private void checkNewName(String name, Object value) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(kind() + ": name must be non-empty and contain no '.', got '" + name + "'");
        }
        if (value == null) {
            throw new IllegalArgumentException(kind() + ": cannot register null as '" + name + "'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(kind() + ": name '" + name + "' is already registered");
        }
    }

    private void checkNoCycle(String name, Module module) {
        if (module == null) {
            throw new IllegalArgumentException(kind() + ": cannot register null as '" + name + "'");
        }
        if (module.namedModules().values().stream().anyMatch(m -> m == this)) {
            throw new IllegalArgumentException(kind() + ": registering " + module.kind() + " as '" + name
                    + "' would make the module its own descendant");
        }
    }

    // ---------------------------------------------------------------- traversal

    /** Direct children in registration order. */
    public final Map<String, Module> namedChildren() {
        return Collections.unmodifiableMap(children);
    }

    /**
     * This module (named "") and every descendant, depth first in registration order; a module reachable
     * twice appears once, under its first name.
     */
    public final LinkedHashMap<String, Module> namedModules() {
        LinkedHashMap<String, Module> out = new LinkedHashMap<>();
        collectModules("", Collections.newSetFromMap(new IdentityHashMap<>()), out);
        return out;
    }

    private void collectModules(String prefix, Set<Module> seen, Map<String, Module> out) {
        if (!seen.add(this)) {
            return;
        }
        out.put(prefix, this);
        children.forEach((name, child) -> child.collectModules(join(prefix, name), seen, out));
    }

    /** Every parameter under its dotted name; a shared parameter appears once, under its first name. */
    public final LinkedHashMap<String, Parameter> namedParameters() {
        LinkedHashMap<String, Parameter> out = new LinkedHashMap<>();
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        namedModules().forEach((prefix, m) -> m.parameters.forEach((name, p) -> {
            if (seen.add(p)) {
                out.put(join(prefix, name), p);
            }
        }));
        return out;
    }

    /** The parameters whose dotted names match {@code glob} (see {@link #setTrainable(String, boolean)}), in order. */
    public final LinkedHashMap<String, Parameter> namedParameters(String glob) {
        Pattern pattern = Glob.compile(glob);
        LinkedHashMap<String, Parameter> out = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> {
            if (pattern.matcher(name).matches()) {
                out.put(name, p);
            }
        });
        return out;
    }

    public final LinkedHashMap<String, Tensor> namedBuffers() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        namedModules().forEach((prefix, m) -> m.buffers.forEach((name, b) -> out.put(join(prefix, name), b)));
        return out;
    }

    public final List<Parameter> parameters() {
        return List.copyOf(namedParameters().values());
    }

    /**
     * Every tensor this module keeps from one step to the next: parameters, their gradients and buffers (the
     * survivors of a {@code StepMemory} step).
     */
    public final List<Tensor> stateTensors() {
        List<Tensor> out = new ArrayList<>(stateDict().values());
        for (Parameter p : parameters()) {
            if (p.grad() != null) {
                out.add(p.grad());
            }
        }
        return out;
    }

    private static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    // ---------------------------------------------------------------- modes and gradients

    /** Training mode for this module and all descendants (batch statistics, active dropout). */
    public final Module train() {
        return setTraining(true);
    }

    /** Evaluation mode for this module and all descendants. */
    public final Module eval() {
        return setTraining(false);
    }

    private Module setTraining(boolean value) {
        namedModules().values().forEach(m -> m.training = value);
        return this;
    }

    public final boolean isTraining() {
        return training;
    }

    /**
     * Moves every parameter and buffer of this module and its descendants to {@code backend} in place (PyTorch's
     * {@code module.to(device)}): the Parameter and buffer objects stay, so optimizers and callers holding them
     * keep working; accumulated gradients move with them.
     */
    public final Module to(Backend backend) {
        namedParameters().values().forEach(p -> p.tensor().moveTo(backend));
        namedBuffers().values().forEach(b -> b.moveTo(backend));
        return this;
    }

    /** Drops the accumulated gradient of every parameter. */
    public final void zeroGrad() {
        parameters().forEach(p -> p.tensor().zeroGrad());
    }

    // ---------------------------------------------------------------- freezing

    /** Makes every parameter of this module and its descendants a constant. */
    public final void freeze() {
        namedModules().values().forEach(m -> m.setOwnTrainable(false));
    }

    public final void unfreeze() {
        namedModules().values().forEach(m -> m.setOwnTrainable(true));
    }

    /** freeze()/unfreeze() for this module alone; BatchNorm2d also remembers it when it has no parameters. */
    void setOwnTrainable(boolean trainable) {
        parameters.values().forEach(p -> p.setTrainable(trainable));
    }

    /**
     * Sets the trainable flag of every parameter whose dotted name matches {@code glob} ({@code *} within a
     * segment, {@code **} across segments: {@code layer4.**}, {@code fc.*}, {@code **.bn*.weight}).
     *
     * @return how many parameters matched
     * @throws IllegalArgumentException when none matched, which usually means a typo in the glob
     */
    public final int setTrainable(String glob, boolean trainable) {
        Pattern pattern = Glob.compile(glob);
        Map<String, Parameter> all = namedParameters();
        int matched = 0;
        for (var e : all.entrySet()) {
            if (pattern.matcher(e.getKey()).matches()) {
                e.getValue().setTrainable(trainable);
                matched++;
            }
        }
        if (matched == 0) {
            throw new IllegalArgumentException("setTrainable: glob '" + glob + "' matches none of the " + all.size()
                    + " parameters of " + kind());
        }
        return matched;
    }

    /** One row of {@link #parameterSummary()}. */
    public record ParameterInfo(String name, int[] shape, boolean trainable, int numel) {
        public ParameterInfo {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }
    }

    public final List<ParameterInfo> parameterSummary() {
        List<ParameterInfo> rows = new ArrayList<>();
        namedParameters().forEach((name, p) -> rows.add(
                new ParameterInfo(name, p.tensor().shape(), p.isTrainable(), p.tensor().numel())));
        return rows;
    }

    /** Number of parameter elements (not tensors). */
    public final long parameterCount() {
        return parameters().stream().mapToLong(p -> p.tensor().numel()).sum();
    }

    public final long trainableParameterCount() {
        return parameters().stream().filter(Parameter::isTrainable).mapToLong(p -> p.tensor().numel()).sum();
    }

    /** A table of parameters with shapes, trainable flags and element counts, plus totals. */
    public final String summary() {
        List<ParameterInfo> rows = parameterSummary();
        int nameWidth = "parameter".length();
        int shapeWidth = "shape".length();
        for (ParameterInfo r : rows) {
            nameWidth = Math.max(nameWidth, r.name().length());
            shapeWidth = Math.max(shapeWidth, Shape.format(r.shape()).length());
        }
        String row = "%-" + nameWidth + "s  %-" + shapeWidth + "s  %-9s  %12s\n";
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, row, "parameter", "shape", "trainable", "elements"));
        for (ParameterInfo r : rows) {
            sb.append(String.format(Locale.ROOT, row, r.name(), Shape.format(r.shape()), r.trainable() ? "yes" : "no",
                    String.format(Locale.ROOT, "%,d", r.numel())));
        }
        long total = parameterCount();
        long trainable = trainableParameterCount();
        return sb.append(String.format(Locale.ROOT, "%s: %,d elements in %d tensors, %,d trainable, %,d frozen\n",
                kind(), total, rows.size(), trainable, total - trainable)).toString();
    }

    // ---------------------------------------------------------------- state dict

    /**
     * Parameters and buffers under their dotted names, in PyTorch's order: a module's own parameters, then its
     * own buffers, then each child's entries. The tensors share storage with the module (writes go through)
     * but record no autograd history.
     */
    public final LinkedHashMap<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        collectState("", out);
        out.replaceAll((k, t) -> t.detach());
        return out;
    }

    private void collectState(String prefix, Map<String, Tensor> out) {
        parameters.forEach((name, p) -> out.put(join(prefix, name), p.tensor()));
        buffers.forEach((name, b) -> out.put(join(prefix, name), b));
        children.forEach((name, child) -> child.collectState(join(prefix, name), out));
    }

    /** Keys that a non-strict {@link #loadStateDict} left alone (missing) or ignored (unexpected). */
    public record LoadResult(List<String> missing, List<String> unexpected) {
        public LoadResult {
            missing = List.copyOf(missing);
            unexpected = List.copyOf(unexpected);
        }
    }

    /**
     * Copies {@code state} into this module's parameters and buffers in place, converting dtypes. Everything
     * is checked before anything is written, so a failed load changes nothing.
     *
     * @param strict when true, a missing or unexpected key is an error; otherwise they are reported
     * @throws IllegalArgumentException listing every offending key: missing and unexpected keys (strict only)
     *                                  and every shape mismatch (always, as in PyTorch)
     */
    public final LoadResult loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = new LinkedHashMap<>();
        collectState("", own);
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        own.forEach((key, target) -> {
            if (!state.containsKey(key)) {
                missing.add(key);
                return;
            }
            Tensor source = state.get(key);
            if (source == null) {
                mismatched.add(key + ": value is null, expected " + Shape.format(target.shape()));
            } else if (!Arrays.equals(source.shape(), target.shape())) {
                mismatched.add(key + ": expected shape " + Shape.format(target.shape()) + ", found "
                        + Shape.format(source.shape()));
            }
        });
        List<String> unexpected = state.keySet().stream().filter(k -> !own.containsKey(k)).toList();
        if (!mismatched.isEmpty() || strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            StringBuilder msg = new StringBuilder("loadStateDict: cannot load state into " + kind() + ":");
            if (strict && !missing.isEmpty()) {
                msg.append("\n  missing keys (").append(missing.size()).append("): ").append(missing);
            }
            if (strict && !unexpected.isEmpty()) {
                msg.append("\n  unexpected keys (").append(unexpected.size()).append("): ").append(unexpected);
            }
            for (String m : mismatched) {
                msg.append("\n  size mismatch for ").append(m);
            }
            throw new IllegalArgumentException(msg.toString());
        }
        try (var _ = NoGrad.enter()) {
            own.forEach((key, target) -> {
                if (state.containsKey(key)) {
                    target.copyFrom(state.get(key));
                }
            });
        }
        return new LoadResult(missing, unexpected);
    }

    // ---------------------------------------------------------------- printing

    /** The constructor arguments shown by {@link #toString()}, PyTorch's {@code extra_repr}. */
    protected String extraRepr() {
        return "";
    }

    /** PyTorch-style nested description: {@code Block(\n  (conv1): Conv2d(…)\n  …\n)}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(kind()).append('(').append(extraRepr());
        if (!children.isEmpty()) {
            sb.append('\n');
            children.forEach((name, child) -> sb.append("  (").append(name).append("): ")
                    .append(child.toString().replace("\n", "\n  ")).append('\n'));
        }
        return sb.append(')').toString();
    }

    /** The class name for messages; anonymous subclasses read as "Module". */
    final String kind() {
        String name = getClass().getSimpleName();
        return name.isEmpty() ? "Module" : name;
    }
}
