package dev.graft.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reverse-mode differentiation over the recorded tape. */
final class Autograd {
    private Autograd() {
    }

    static void backward(Tensor root, Tensor seed) {
        if (!root.requiresGrad()) {
            throw new IllegalArgumentException("backward: tensor of shape " + Shape.format(root.shapeRef())
                    + " does not require grad (no trainable input reaches it)");
        }
        if (seed == null) {
            if (root.numel() != 1) {
                throw new IllegalArgumentException("backward: output of shape " + Shape.format(root.shapeRef())
                        + " is not a scalar; pass an explicit gradient of that shape");
            }
            seed = Tensor.full(root.backend(), root.dtype(), 1, root.shapeRef());
        } else if (!Arrays.equals(seed.shapeRef(), root.shapeRef())) {
            throw new IllegalArgumentException("backward: gradient shape " + Shape.format(seed.shapeRef())
                    + " differs from output shape " + Shape.format(root.shapeRef()));
        } else if (seed.dtype() != root.dtype()) {
            throw new IllegalArgumentException("backward: gradient dtype " + seed.dtype() + " differs from output dtype "
                    + root.dtype());
        } else if (seed.backend() != root.backend()) {
            throw new IllegalArgumentException("backward: gradient lives on backend " + seed.backend().name()
                    + ", the output on " + root.backend().name());
        }
        if (root.gradFn == null) {
            root.accumulateGrad(seed);
            return;
        }
        try (var _ = NoGrad.enter()) {
            run(root, seed);
        }
    }

    private static void run(Tensor root, Tensor seed) {
        List<Node> order = topologicalOrder(root.gradFn);
        Gradients gradients = new Gradients(order, seed);
        Map<Node, Tensor> pending = new IdentityHashMap<>();
        pending.put(root.gradFn, seed);
        gradients.held(seed);
        for (Node node : order) {
            Tensor gradOut = pending.remove(node);
            Node.Edge[] edges = node.edges();
            Tensor[] grads = node.apply(gradOut);
            BackwardTrace.executed(node.name());
            for (int i = 0; i < edges.length; i++) {
                Node.Edge in = edges[i];
                if (in == null || !in.wanted()) {
                    continue;
                }
                Tensor g = grads[i];
                if (g == null || !Arrays.equals(g.shapeRef(), in.shape())) {
                    throw new IllegalStateException("backward: " + node.name() + " produced a gradient of shape "
                            + (g == null ? "null" : Shape.format(g.shapeRef())) + " for input " + i + " of shape "
                            + Shape.format(in.shape()));
                }
                if (g.backend() != in.backend()) {
                    throw new IllegalStateException("backward: " + node.name() + " produced a gradient on backend "
                            + g.backend().name() + " for input " + i + " on backend " + in.backend().name());
                }
                gradients.made(g);
                if (in.gradFn() == null) {
                    in.leaf().accumulateGrad(g);
                    gradients.consumed(g);
                    continue;
                }
                Tensor earlier = pending.get(in.gradFn());
                if (earlier == null) {
                    pending.put(in.gradFn(), g);
                    gradients.held(g);
                } else {
                    Tensor sum = Ops.binary(BinaryOp.ADD, earlier, g);
                    gradients.made(sum);
                    pending.put(in.gradFn(), sum);
                    gradients.held(sum);
                    gradients.dropped(earlier);
                    gradients.consumed(g);
                }
            }
            gradients.dropped(gradOut);
            gradients.releaseSpent();
            node.release();
        }
    }

    /**
     * The gradients a backward pass makes, so that each one's memory goes back to its backend as soon as the pass
     * is done with it ({@link MemoryOps#release}): a gradient held by no pending sum, not passed on as a view, and
     * over neither the seed nor a leaf. Leaf gradients are copies (see {@link Tensor#accumulateGrad}), so no
     * storage released here is reachable from outside the pass; that no backward function returns a tensor of the
     * forward pass as a gradient is checked by running the gradient properties inside a {@code StepMemory} step.
     */
    private static final class Gradients {
        /** Storages the pass did not make: the seed's and the leaves'. */
        private final Set<Storage> foreign = Collections.newSetFromMap(new IdentityHashMap<>());
        private final Set<Storage> made = Collections.newSetFromMap(new IdentityHashMap<>());
        /** Pending references to each made storage (a view passed on counts as one). */
        private final Map<Storage, Integer> holds = new IdentityHashMap<>();
        private final List<Storage> spent = new ArrayList<>();

        Gradients(List<Node> order, Tensor seed) {
            foreign.add(seed.storage());
            for (Node node : order) {
                for (Node.Edge in : node.edges()) {
                    if (in != null && in.leaf() != null) {
                        foreign.add(in.leaf().storage());
                    }
                }
            }
        }

        void made(Tensor g) {
            if (!foreign.contains(g.storage())) {
                made.add(g.storage());
            }
        }

        void held(Tensor g) {
            holds.merge(g.storage(), 1, Integer::sum);
        }

        void dropped(Tensor g) {
            Storage s = g.storage();
            Integer n = holds.get(s);
            if (n != null && n > 1) {
                holds.put(s, n - 1);
                return;
            }
            holds.remove(s);
            spent.add(s);
        }

        /** {@code g} has been summed or copied; it may still be passed on to another input of the same node. */
        void consumed(Tensor g) {
            spent.add(g.storage());
        }

        /** After a node: releases what it spent unless a pending gradient still holds it. */
        void releaseSpent() {
            for (Storage s : spent) {
                if (!holds.containsKey(s) && made.remove(s)) {
                    s.backend().release(s);
                }
            }
            spent.clear();
        }
    }

    /** Nodes reachable from {@code start}, each after every node that consumes its output. */
    private static List<Node> topologicalOrder(Node start) {
        List<Node> postOrder = new ArrayList<>();
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {start, 0});
        seen.put(start, true);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Node node = (Node) frame[0];
            Node.Edge[] inputs = node.edges();
            int i = (Integer) frame[1];
            while (i < inputs.length && (inputs[i] == null || inputs[i].gradFn() == null
                    || seen.containsKey(inputs[i].gradFn()))) {
                i++;
            }
            if (i < inputs.length) {
                frame[1] = i + 1;
                Node child = inputs[i].gradFn();
                seen.put(child, true);
                stack.push(new Object[] {child, 0});
            } else {
                stack.pop();
                postOrder.add(node);
            }
        }
        return postOrder.reversed();
    }
}
