package dev.graft.engine;

/**
 * One recorded operation of the autograd tape: where the gradient of each input goes, and the function that maps
 * the gradient of its output to gradients of those inputs. The function captures whatever the operation saved;
 * dropping it after backward releases that memory. The node holds no input it did not save: an intermediate
 * result that no backward function needs (a BatchNorm output that the ReLU after it has replaced) dies after
 * the forward pass, as in PyTorch.
 */
final class Node {
    /** Gradient of each input (null where the input needs none) from the gradient of the output. */
    @FunctionalInterface
    interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }

    /**
     * Where an input's gradient goes: to the node that made the input, or to the input itself when it is a leaf
     * (which the caller holds anyway). The shape and backend check what backward produces.
     */
    record Edge(Node gradFn, Tensor leaf, int[] shape, Backend backend) {
        static Edge of(Tensor input) {
            if (input == null || !input.requiresGrad()) {
                return null;
            }
            return new Edge(input.gradFn, input.gradFn == null ? input : null, input.shapeRef(), input.backend());
        }

        /** False for a leaf frozen since the forward pass. */
        boolean wanted() {
            return leaf == null || leaf.requiresGrad();
        }
    }

    private final String name;
    private Edge[] edges;
    private Backward backward;

    Node(String name, Tensor[] inputs, Backward backward) {
        this.name = name;
        this.edges = new Edge[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            edges[i] = Edge.of(inputs[i]);
        }
        this.backward = backward;
    }

    String name() {
        return name;
    }

    /** One edge per input of the operation, null where the input needs no gradient. */
    Edge[] edges() {
        if (edges == null) {
            throw released();
        }
        return edges;
    }

    Tensor[] apply(Tensor gradOutput) {
        if (backward == null) {
            throw released();
        }
        return backward.apply(gradOutput);
    }

    void release() {
        edges = null;
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
