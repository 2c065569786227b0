package dev.graft.engine.optim;

import dev.graft.engine.nn.Parameter;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parameters that share hyper-parameters, PyTorch's param group. Names are the module's dotted names; they key
 * the optimizer's state dict, so a resumed run must use the same names.
 */
public final class ParamGroup {
    private final String name;
    private final Map<String, Parameter> params;
    private final double baseLr;
    private final double weightDecay;
    private double lr;

    /** A group whose current lr starts at {@code lr}, which is also its {@link #baseLr()}. */
    public ParamGroup(String name, Map<String, Parameter> params, double lr, double weightDecay) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("ParamGroup: name must be non-empty, got " + (name == null ? "null" : "''"));
        }
        if (params == null) {
            throw new IllegalArgumentException("ParamGroup '" + name + "': params must not be null");
        }
        params.forEach((key, p) -> {
            if (key == null || key.isEmpty() || p == null) {
                throw new IllegalArgumentException("ParamGroup '" + name + "': every parameter needs a non-empty name"
                        + " and a value, got '" + key + "' -> " + p);
            }
        });
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("ParamGroup '" + name + "': weight decay must be finite and >= 0, got "
                    + weightDecay);
        }
        this.name = name;
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        this.baseLr = checkLr(lr);
        this.weightDecay = weightDecay;
        this.lr = lr;
    }

    private double checkLr(double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("ParamGroup '" + name + "': lr must be finite and >= 0, got " + value);
        }
        return value;
    }

    public String name() {
        return name;
    }

    /** The parameters by name, in the order given; unmodifiable. */
    public Map<String, Parameter> params() {
        return params;
    }

    /** The lr given at construction; schedules scale it. */
    public double baseLr() {
        return baseLr;
    }

    /** The lr the next step uses. */
    public double lr() {
        return lr;
    }

    public void setLr(double lr) {
        this.lr = checkLr(lr);
    }

    public double weightDecay() {
        return weightDecay;
    }

    @Override
    public String toString() {
        return "ParamGroup(" + name + ", " + params.size() + " parameters, lr=" + lr + ", weight_decay=" + weightDecay
                + ")";
    }
}
