package dev.graft.engine.nn;

import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

/**
 * A learnable tensor of a {@link Module} and whether it is trained. The flag and the tensor's
 * {@code requiresGrad} always agree, so a frozen parameter is a plain constant: operations on it record no
 * autograd history and backward never reaches it.
 */
public final class Parameter {
    private final Tensor tensor;
    private boolean trainable;

    /** A trainable parameter over {@code data} (a floating-point leaf, used as is, not copied). */
    public Parameter(Tensor data) {
        this(data, true);
    }

    public Parameter(Tensor data, boolean trainable) {
        if (!data.isLeaf()) {
            throw new IllegalArgumentException("Parameter: data must be a leaf tensor, got the result of "
                    + data.gradFnName() + " " + Shape.format(data.shape()));
        }
        if (!data.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("Parameter: data must be floating point, got " + data.dtype() + " "
                    + Shape.format(data.shape()));
        }
        this.tensor = data;
        setTrainable(trainable);
    }

    public Tensor tensor() {
        return tensor;
    }

    public boolean isTrainable() {
        return trainable;
    }

    /** Freezes or unfreezes; an accumulated gradient stays until {@link Module#zeroGrad()}, as in PyTorch. */
    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
        tensor.requiresGrad(trainable);
    }

    /** The gradient accumulated by backward, or null. */
    public Tensor grad() {
        return tensor.grad();
    }

    @Override
    public String toString() {
        return "Parameter(" + tensor.dtype() + " " + Shape.format(tensor.shape()) + (trainable ? ")" : ", frozen)");
    }
}
