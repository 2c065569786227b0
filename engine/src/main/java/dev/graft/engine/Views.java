package dev.graft.engine;

import java.util.Arrays;

/** Differentiable views: new shape and strides over the same storage, no copy (except reshape when needed). */
final class Views {
    private Views() {
    }

    static Tensor view(Tensor t, int[] requested) {
        int[] shape = inferShape("view", t, requested);
        if (!t.isContiguous()) {
            throw new IllegalArgumentException("view: tensor of shape " + Shape.format(t.shapeRef()) + " with strides "
                    + Shape.format(t.stridesRef()) + " is not contiguous; use reshape");
        }
        int[] old = t.shapeRef();
        Tensor out = t.asStrided(shape, Shape.contiguousStrides(shape), t.offset());
        return Node.record("view", out, g -> new Tensor[] {g.reshape(old)}, t);
    }

    static Tensor reshape(Tensor t, int[] requested) {
        int[] shape = inferShape("reshape", t, requested);
        return Arrays.equals(shape, t.shapeRef()) ? t : view(t.contiguous(), shape);
    }

    static Tensor flatten(Tensor t, int startDim) {
        int rank = t.dim();
        if (rank == 0) {
            return reshape(t, new int[] {1});
        }
        int start = Shape.dim("flatten", startDim, rank);
        int[] shape = new int[start + 1];
        System.arraycopy(t.shapeRef(), 0, shape, 0, start);
        shape[start] = -1;
        return reshape(t, shape);
    }

    static Tensor contiguous(Tensor t) {
        return Node.record("contiguous", t.contiguousCopy(), g -> new Tensor[] {g}, t);
    }

    static Tensor permute(Tensor t, int[] dims) {
        int rank = t.dim();
        if (dims.length != rank) {
            throw new IllegalArgumentException("permute: " + dims.length + " dims given for a " + rank
                    + "-D tensor of shape " + Shape.format(t.shapeRef()));
        }
        int[] perm = new int[rank];
        int[] inverse = new int[rank];
        boolean[] used = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int d = Shape.dim("permute", dims[i], rank);
            if (used[d]) {
                throw new IllegalArgumentException("permute: dimension " + d + " repeated in " + Shape.format(dims));
            }
            used[d] = true;
            perm[i] = d;
            inverse[d] = i;
        }
        int[] shape = new int[rank];
        int[] strides = new int[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = t.shapeRef()[perm[i]];
            strides[i] = t.stridesRef()[perm[i]];
        }
        Tensor out = t.asStrided(shape, strides, t.offset());
        return Node.record("permute", out, g -> new Tensor[] {g.permute(inverse)}, t);
    }

    static Tensor transpose(Tensor t, int dim0, int dim1) {
        int rank = t.dim();
        int a = Shape.dim("transpose", dim0, rank);
        int b = Shape.dim("transpose", dim1, rank);
        int[] perm = new int[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = i;
        }
        perm[a] = b;
        perm[b] = a;
        return permute(t, perm);
    }

    static Tensor slice(Tensor t, int dim, int start, int end, int step) {
        int d = Shape.dim("slice", dim, t.dim());
        int size = t.shapeRef()[d];
        if (step < 1) {
            throw new IllegalArgumentException("slice: step must be >= 1, got " + step);
        }
        int s = clampIndex(start, size);
        int e = Math.max(s, clampIndex(end, size));
        int[] shape = t.shapeRef().clone();
        int[] strides = t.stridesRef().clone();
        shape[d] = (e - s + step - 1) / step;
        strides[d] *= step;
        Tensor out = t.asStrided(shape, strides, t.offset() + s * t.stridesRef()[d]);
        int[] old = t.shapeRef();
        return Node.record("slice", out, g -> {
            Tensor full = Tensor.zeros(g.backend(), g.dtype(), old);
            full.slice(d, s, e, step).copyFrom(g);
            return new Tensor[] {full};
        }, t);
    }

    static Tensor select(Tensor t, int dim, int index) {
        int d = Shape.dim("select", dim, t.dim());
        int size = t.shapeRef()[d];
        int i = index < 0 ? index + size : index;
        if (i < 0 || i >= size) {
            throw new IllegalArgumentException("select: index " + index + " out of range for dimension " + d
                    + " of size " + size + " (shape " + Shape.format(t.shapeRef()) + ")");
        }
        return squeeze(slice(t, d, i, i + 1, 1), d);
    }

    static Tensor expand(Tensor t, int[] requested) {
        int[] old = t.shapeRef();
        int rank = requested.length;
        if (rank < old.length) {
            throw new IllegalArgumentException("expand: target " + Shape.format(requested) + " has fewer dimensions than "
                    + Shape.format(old));
        }
        int[] shape = new int[rank];
        int[] strides = new int[rank];
        int lead = rank - old.length;
        for (int i = 0; i < rank; i++) {
            int want = requested[i];
            if (i < lead) {
                if (want < 0) {
                    throw new IllegalArgumentException("expand: -1 not allowed for new leading dimension " + i
                            + " in " + Shape.format(requested));
                }
                shape[i] = want;
                strides[i] = 0;
                continue;
            }
            int have = old[i - lead];
            if (want == -1 || want == have) {
                shape[i] = have;
                strides[i] = t.stridesRef()[i - lead];
            } else if (have == 1 && want >= 0) {
                shape[i] = want;
                strides[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: cannot expand " + Shape.format(old) + " to "
                        + Shape.format(requested) + " (dimension " + i + ": " + have + " vs " + want + ")");
            }
        }
        if (Arrays.equals(shape, old)) {
            return t;
        }
        Tensor out = t.asStrided(shape, strides, t.offset());
        return Node.record("expand", out, g -> new Tensor[] {Ops.sumToShape(g, old)}, t);
    }

    static Tensor squeeze(Tensor t) {
        int[] shape = Arrays.stream(t.shapeRef()).filter(s -> s != 1).toArray();
        return restride("squeeze", t, shape);
    }

    static Tensor squeeze(Tensor t, int dim) {
        int d = Shape.dim("squeeze", dim, t.dim());
        if (t.shapeRef()[d] != 1) {
            return t;
        }
        int[] shape = new int[t.dim() - 1];
        for (int i = 0, j = 0; i < t.dim(); i++) {
            if (i != d) {
                shape[j++] = t.shapeRef()[i];
            }
        }
        return restride("squeeze", t, shape);
    }

    static Tensor unsqueeze(Tensor t, int dim) {
        int d = Shape.dim("unsqueeze", dim, t.dim() + 1);
        int[] shape = new int[t.dim() + 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            shape[i] = i == d ? 1 : t.shapeRef()[j++];
        }
        return restride("unsqueeze", t, shape);
    }

    /** A view that only adds or removes size-1 dimensions: strides of the remaining dims carry over. */
    private static Tensor restride(String op, Tensor t, int[] shape) {
        int[] strides = new int[shape.length];
        int[] old = t.shapeRef();
        int j = 0;
        for (int i = 0; i < shape.length; i++) {
            while (j < old.length && old[j] == 1 && shape[i] != 1) {
                j++;
            }
            if (j < old.length && old[j] == shape[i]) {
                strides[i] = t.stridesRef()[j++];
            } else {
                strides[i] = 1;
            }
        }
        Tensor out = t.asStrided(shape, strides, t.offset());
        return Node.record(op, out, g -> new Tensor[] {g.reshape(old)}, t);
    }

    private static int clampIndex(int index, int size) {
        int i = index < 0 ? index + size : index;
        return Math.max(0, Math.min(size, i));
    }

    private static int[] inferShape(String op, Tensor t, int[] requested) {
        int n = t.numel();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < requested.length; i++) {
            if (requested[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + ": only one -1 allowed in " + Shape.format(requested));
                }
                infer = i;
            } else if (requested[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + requested[i] + " in " + Shape.format(requested));
            } else {
                known *= requested[i];
            }
        }
        int[] shape = requested.clone();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + Shape.format(requested) + " is invalid for a tensor of "
                        + n + " elements " + Shape.format(t.shapeRef()));
            }
            shape[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException(op + ": shape " + Shape.format(requested) + " is invalid for a tensor of "
                    + n + " elements " + Shape.format(t.shapeRef()));
        }
        return shape;
    }
}
