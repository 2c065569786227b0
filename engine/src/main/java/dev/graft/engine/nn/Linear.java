package dev.graft.engine.nn;

import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;

/** {@code y = x · weightᵀ + bias} with weight {@code [out, in]}; PyTorch's default initialisation. */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;

    public Linear(int inFeatures, int outFeatures, boolean bias, Generator gen) {
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException("Linear: in_features and out_features must be >= 1, got "
                    + inFeatures + " and " + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", new Parameter(Tensor.zeros(outFeatures, inFeatures)));
        this.bias = bias ? registerParameter("bias", new Parameter(Tensor.zeros(outFeatures))) : null;
        Init.linearDefault(weight.tensor(), bias ? this.bias.tensor() : null, gen);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.linear(x, weight.tensor(), bias == null ? null : bias.tensor());
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null when built without one. */
    public Parameter bias() {
        return bias;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null);
    }
}
