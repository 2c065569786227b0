package dev.graft.engine;

import java.util.Arrays;

/** Differentiable ops that assemble a tensor from parts: cat, stack and constant padding. */
final class Joins {
    private Joins() {
    }

    static Tensor cat(int dim, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("cat: needs at least one tensor");
        }
        Tensor first = parts[0];
        int rank = first.dim();
        int d = Shape.dim("cat", dim, rank);
        int total = 0;
        for (int p = 0; p < parts.length; p++) {
            Tensor t = parts[p];
            Ops.requireSameDtype("cat", first, t);
            if (t.dim() != rank) {
                throw new IllegalArgumentException("cat: tensor " + p + " has shape " + Shape.format(t.shapeRef())
                        + ", expected " + rank + " dimensions like " + Shape.format(first.shapeRef()));
            }
            for (int i = 0; i < rank; i++) {
                if (i != d && t.shapeRef()[i] != first.shapeRef()[i]) {
                    throw new IllegalArgumentException("cat: tensor " + p + " has shape " + Shape.format(t.shapeRef())
                            + ", incompatible with " + Shape.format(first.shapeRef()) + " outside dimension " + d);
                }
            }
            total += t.shapeRef()[d];
        }
        int[] shape = first.shapeRef().clone();
        shape[d] = total;
        Tensor out = Tensor.of(first.backend().allocate(first.dtype(), Shape.numel(shape)), shape);
        int[] offsets = new int[parts.length];
        int[] lengths = new int[parts.length];
        int at = 0;
        for (int p = 0; p < parts.length; p++) {
            offsets[p] = at;
            lengths[p] = parts[p].shapeRef()[d];
            out.backend().copy(parts[p], out.detach().narrow(d, at, lengths[p]));
            at += lengths[p];
        }
        if (!first.dtype().isFloatingPoint()) {
            return out;
        }
        return Node.record("cat", out, g -> {
            Tensor[] grads = new Tensor[offsets.length];
            for (int p = 0; p < offsets.length; p++) {
                grads[p] = g.narrow(d, offsets[p], lengths[p]);
            }
            return grads;
        }, parts);
    }

    static Tensor stack(int dim, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("stack: needs at least one tensor");
        }
        int d = Shape.dim("stack", dim, parts[0].dim() + 1);
        Tensor[] expanded = new Tensor[parts.length];
        for (int p = 0; p < parts.length; p++) {
            if (!Arrays.equals(parts[p].shapeRef(), parts[0].shapeRef())) {
                throw new IllegalArgumentException("stack: tensor " + p + " has shape " + Shape.format(parts[p].shapeRef())
                        + ", expected " + Shape.format(parts[0].shapeRef()));
            }
            expanded[p] = parts[p].unsqueeze(d);
        }
        return cat(d, expanded);
    }

    static Tensor pad(Tensor x, int[] padding, double value) {
        int rank = x.dim();
        if (padding.length % 2 != 0 || padding.length / 2 > rank) {
            throw new IllegalArgumentException("pad: padding " + Shape.format(padding) + " must hold pairs for at most "
                    + rank + " trailing dimensions of " + Shape.format(x.shapeRef()));
        }
        int[] shape = x.shapeRef().clone();
        for (int i = 0; i < padding.length; i++) {
            if (padding[i] < 0) {
                throw new IllegalArgumentException("pad: negative padding " + Shape.format(padding) + " is not supported");
            }
            shape[rank - 1 - i / 2] += padding[i];
        }
        Tensor out = Tensor.full(x.backend(), x.dtype(), value, shape);
        Tensor inner = out;
        for (int i = 0; i < padding.length / 2; i++) {
            int d = rank - 1 - i;
            inner = inner.narrow(d, padding[2 * i], x.shapeRef()[d]);
        }
        x.backend().copy(x, inner);
        if (!x.dtype().isFloatingPoint()) {
            return out;
        }
        int[] inShape = x.shapeRef();
        return Node.record("pad", out, g -> {
            Tensor gi = g;
            for (int i = 0; i < padding.length / 2; i++) {
                int d = rank - 1 - i;
                gi = gi.narrow(d, padding[2 * i], inShape[d]);
            }
            return new Tensor[] {gi};
        }, x);
    }
}
