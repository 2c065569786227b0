package dev.graft.engine;

/**
 * One recorded operation of the autograd tape: the inputs it read and the function that maps the gradient
 * of its output to gradients of those inputs. The function captures whatever the operation saved; dropping
 * it after backward releases that memory.
 */
final class Node {
    /** Gradient of each input (null where the input needs none) from the gradient of the output. */
    @FunctionalInterface
    interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }

    private final String name;
    private Tensor[] inputs;
    private Backward backward;

    Node(String name, Tensor[] inputs, Backward backward) {
        this.name = name;
        this.inputs = inputs;
        this.backward = backward;
    }

    String name() {
        return name;
    }

    Tensor[] inputs() {
        if (inputs == null) {
            throw released();
        }
        return inputs;
    }

    Tensor[] apply(Tensor gradOutput) {
        if (backward == null) {
            throw released();
        }
        return backward.apply(gradOutput);
    }

    void release() {
        inputs = null;
        backward = null;
    }

    private IllegalStateException released() {
        return new IllegalStateException("backward: the graph through " + name
                + " was already released by an earlier backward()");
    }

    /**
     * Attaches a node to {@code out} when grad mode is on and some input requires grad; otherwise returns
     * {@code out} untouched, so frozen inputs record nothing.
     */
    static Tensor record(String name, Tensor out, Backward backward, Tensor... inputs) {
        if (!NoGrad.isGradEnabled()) {
            return out;
        }
        boolean any = false;
        for (Tensor in : inputs) {
            any |= in != null && in.requiresGrad();
        }
        if (any) {
            out.markRequiresGrad(new Node(name, inputs, backward));
        }
        return out;
    }
}
