package dev.graft.engine.optim;

import dev.graft.engine.DType;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The per-parameter state of an optimizer: for each parameter updated so far, buffers shaped like it and,
 * where the optimizer counts them, its own number of updates. Exported and loaded as flat maps keyed
 * {@code "<paramName>.<buffer>"} and {@code "<paramName>.step"}; buffer names contain no dot, so a key splits
 * unambiguously at its last one.
 */
final class OptimizerState {
    static final String STEP = "step";
    /** Largest whole number that a double, and so a floating-point tensor, holds exactly. */
    private static final double MAX_EXACT_STEP = 0x1p53;

    /**
     * One parameter's state. The buffers belong to the state alone (created here, copied in by {@link #load} and
     * out by {@link #export}), so the fused F32 updates may write into them; the tensor-op path replaces them.
     */
    static final class Entry {
        final Tensor[] buffers;
        long step;

        Entry(Tensor[] buffers, long step) {
            this.buffers = buffers;
            this.step = step;
        }
    }

    private final String kind;
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final List<String> bufferNames;
    private final boolean countsSteps;
    /** The key suffixes of one parameter's complete state: the buffers, then the step count when counted. */
    private final List<String> suffixes;
    private final Map<String, Entry> entries = new HashMap<>();

    OptimizerState(String kind, List<ParamGroup> groups, List<String> bufferNames, boolean countsSteps) {
        this.kind = kind;
        this.bufferNames = List.copyOf(bufferNames);
        this.countsSteps = countsSteps;
        List<String> all = new ArrayList<>(bufferNames);
        if (countsSteps) {
            all.add(STEP);
        }
        this.suffixes = List.copyOf(all);
        for (ParamGroup g : groups) {
            g.params().forEach((name, p) -> params.put(name, p.tensor()));
        }
    }

    /** The state of {@code param}, or null when it has never been updated. */
    Entry get(String param) {
        return entries.get(param);
    }

    /** Starts the state of {@code param} with the given buffers (owned by the state from now on) and step 0. */
    Entry create(String param, Tensor... buffers) {
        Entry e = new Entry(buffers, 0);
        entries.put(param, e);
        return e;
    }

    /** A copy of {@code t} that later writes to {@code t} (clipping scales gradients in place) cannot reach. */
    static Tensor copyOf(Tensor t) {
        return Tensor.zerosLike(t).copyFrom(t);
    }

    Map<String, Tensor> export() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        params.keySet().forEach(name -> {
            Entry e = entries.get(name);
            if (e == null) {
                return;
            }
            for (int i = 0; i < e.buffers.length; i++) {
                out.put(name + "." + bufferNames.get(i), copyOf(e.buffers[i]));
            }
            if (countsSteps) {
                out.put(name + "." + STEP, Tensor.ofLongs(new long[] {e.step}));
            }
        });
        return out;
    }

    void load(Map<String, Tensor> state) {
        if (state == null) {
            throw new IllegalArgumentException(kind + ": loadStateDict: state must not be null");
        }
        List<String> unknown = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Set<String> present = new LinkedHashSet<>();
        state.forEach((key, t) -> {
            int dot = key == null ? -1 : key.lastIndexOf('.');
            String param = dot < 0 ? null : key.substring(0, dot);
            int slot = dot < 0 ? -1 : suffixes.indexOf(key.substring(dot + 1));
            if (slot < 0 || !params.containsKey(param)) {
                unknown.add(key);
                return;
            }
            present.add(param);
            String problem = t == null ? "value is null"
                    : slot == bufferNames.size() ? checkStep(t) : checkBuffer(params.get(param), t);
            if (problem != null) {
                problems.add(key + ": " + problem);
            }
        });
        for (String param : present) {
            List<String> missing = suffixes.stream().map(s -> param + "." + s).filter(k -> !state.containsKey(k)).toList();
            if (!missing.isEmpty()) {
                problems.add(param + ": incomplete state, missing " + missing);
            }
        }
        if (!unknown.isEmpty() || !problems.isEmpty()) {
            StringBuilder msg = new StringBuilder(kind + ": cannot load state dict:");
            if (!unknown.isEmpty()) {
                msg.append("\n  unknown keys (").append(unknown.size()).append("): ").append(unknown);
            }
            problems.forEach(p -> msg.append("\n  ").append(p));
            throw new IllegalArgumentException(msg.toString());
        }
        Map<String, Entry> loaded = new HashMap<>();
        for (String param : present) {
            Tensor[] buffers = new Tensor[bufferNames.size()];
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = Tensor.zerosLike(params.get(param)).copyFrom(state.get(param + "." + bufferNames.get(i)));
            }
            loaded.put(param, new Entry(buffers, countsSteps ? stepValue(state.get(param + "." + STEP)) : 0));
        }
        entries.clear();
        entries.putAll(loaded);
    }

    private static String checkBuffer(Tensor param, Tensor t) {
        if (!Arrays.equals(t.shape(), param.shape())) {
            return "shape " + Shape.format(t.shape()) + " does not match the parameter's " + Shape.format(param.shape());
        }
        return t.dtype().isFloatingPoint() ? null : "dtype " + t.dtype() + " is not floating point";
    }

    /** A step count is a scalar whole number >= 1: state exists only for parameters updated at least once. */
    private static String checkStep(Tensor t) {
        if (t.dim() != 0) {
            return "a step count must be a scalar (shape []), got shape " + Shape.format(t.shape());
        }
        if (t.dtype() == DType.I64) {
            long v = t.toLongArray()[0];
            return v >= 1 ? null : "a step count must be >= 1, got " + v;
        }
        double v = t.item();
        return v >= 1 && v <= MAX_EXACT_STEP && v == Math.rint(v) ? null
                : "a step count must be a whole number >= 1, got " + v;
    }

    private static long stepValue(Tensor t) {
        return t.dtype() == DType.I64 ? t.toLongArray()[0] : (long) t.item();
    }
}
