package dev.graft.engine;

import java.util.Arrays;

/** Differentiable elementwise ops, reductions, matmul and dtype conversion, dispatched to the backend. */
final class Ops {
    private Ops() {
    }

    static void requireFloating(String op, Tensor t) {
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": not defined for " + t.dtype() + " tensors (shape "
                    + Shape.format(t.shapeRef()) + ")");
        }
    }

    static void requireSameDtype(String op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + ": dtype mismatch, " + a.dtype() + " " + Shape.format(a.shapeRef())
                    + " vs " + b.dtype() + " " + Shape.format(b.shapeRef()));
        }
        if (a.backend() != b.backend()) {
            throw new IllegalArgumentException(op + ": tensors live on different backends, " + a.backend().name()
                    + " vs " + b.backend().name());
        }
    }

    // ---------------------------------------------------------------- elementwise

    static Tensor unary(String name, UnaryOp op, Tensor x, double a, double b) {
        requireFloating(name, x);
        Tensor y = x.backend().unary(op, x, a, b);
        // Save only what the gradient reads: a ReLU keeps its output, not the BatchNorm output before it.
        Tensor in = switch (op) {
            case LOG, ABS, POW, CLAMP -> x;
            default -> null;
        };
        Tensor out = switch (op) {
            case EXP, SQRT, RELU -> y;
            default -> null;
        };
        return Node.record(name, y, g -> new Tensor[] {unaryGrad(op, in, out, g, a, b)}, x);
    }

    /** The gradient through {@code op}, from the input {@code x} or output {@code y} it saved (the other null). */
    private static Tensor unaryGrad(UnaryOp op, Tensor x, Tensor y, Tensor g, double a, double b) {
        return switch (op) {
            case NEG -> g.neg();
            case EXP -> g.mul(y);
            case LOG -> g.div(x);
            case SQRT -> g.div(y).mul(0.5);
            case ABS -> g.mul(mask(UnaryOp.SIGN, x, 0, 0));
            case SIGN, GREATER, BETWEEN -> Tensor.zerosLike(g);
            case RELU -> g.mul(mask(UnaryOp.GREATER, y, 0, 0));
            case POW -> a == 0 ? Tensor.zerosLike(g) : g.mul(x.pow(a - 1)).mul(a);
            case CLAMP -> g.mul(mask(UnaryOp.BETWEEN, x, a, b));
            case AFFINE -> g.mul(a);
        };
    }

    private static Tensor mask(UnaryOp op, Tensor x, double a, double b) {
        return x.backend().unary(op, x, a, b);
    }

    static Tensor affine(Tensor x, double scale, double shift) {
        return unary(shift == 0 ? "mul" : scale == 1 ? "add" : "affine", UnaryOp.AFFINE, x, scale, shift);
    }

    /** The backend's binary op after broadcasting; records nothing (used inside backward and accumulation). */
    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shape.broadcast(op.name().toLowerCase(), a.shapeRef(), b.shapeRef());
        return a.backend().binary(op, broadcastView(a, shape), broadcastView(b, shape));
    }

    static Tensor broadcastBinary(String name, BinaryOp op, Tensor a, Tensor b) {
        requireSameDtype(name, a, b);
        requireFloating(name, a);
        int[] shape = Shape.broadcast(name, a.shapeRef(), b.shapeRef());
        Tensor out = a.backend().binary(op, broadcastView(a, shape), broadcastView(b, shape));
        int[] sa = a.shapeRef();
        int[] sb = b.shapeRef();
        boolean aGrad = a.requiresGrad();
        boolean bGrad = b.requiresGrad();
        // One closure per op, so that each saves only the tensors its gradient reads (a residual sum saves none).
        Node.Backward backward = switch (op) {
            case ADD -> g -> new Tensor[] {sumToShape(g, sa), sumToShape(g, sb)};
            case SUB -> g -> new Tensor[] {sumToShape(g, sa), bGrad ? sumToShape(g.neg(), sb) : null};
            case MUL -> g -> new Tensor[] {
                aGrad ? sumToShape(g.mul(b), sa) : null,
                bGrad ? sumToShape(g.mul(a), sb) : null};
            case DIV -> g -> new Tensor[] {
                aGrad ? sumToShape(g.div(b), sa) : null,
                bGrad ? sumToShape(g.mul(out).div(b).neg(), sb) : null};
            case EQUAL, GREATER -> throw new IllegalStateException(name + " has no gradient");
        };
        return Node.record(name, out, backward, a, b);
    }

    static Tensor compare(String name, BinaryOp op, Tensor a, Tensor b) {
        requireSameDtype(name, a, b);
        requireFloating(name, a);
        int[] shape = Shape.broadcast(name, a.shapeRef(), b.shapeRef());
        return a.backend().binary(op, broadcastView(a, shape), broadcastView(b, shape));
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        requireSameDtype("where", a, b);
        requireFloating("where", a);
        if (cond.backend() != a.backend()) {
            throw new IllegalArgumentException("where: condition lives on backend " + cond.backend().name()
                    + ", values on " + a.backend().name());
        }
        int[] shape = Shape.broadcast("where", Shape.broadcast("where", cond.shapeRef(), a.shapeRef()), b.shapeRef());
        Tensor c = broadcastView(cond, shape);
        Tensor out = a.backend().where(c, broadcastView(a, shape), broadcastView(b, shape));
        int[] sa = a.shapeRef();
        int[] sb = b.shapeRef();
        boolean aGrad = a.requiresGrad();
        boolean bGrad = b.requiresGrad();
        return Node.record("where", out, g -> {
            Tensor zero = Tensor.zeros(g.backend(), g.dtype(), 1);
            return new Tensor[] {
                aGrad ? sumToShape(g.backend().where(c, g, broadcastView(zero, shape)), sa) : null,
                bGrad ? sumToShape(g.backend().where(c, broadcastView(zero, shape), g), sb) : null};
        }, a, b);
    }

    /** A stride-0 broadcast view (no autograd: callers record the op as a whole). */
    static Tensor broadcastView(Tensor t, int[] shape) {
        int[] old = t.shapeRef();
        if (Arrays.equals(old, shape)) {
            return t;
        }
        int lead = shape.length - old.length;
        int[] strides = new int[shape.length];
        for (int i = lead; i < shape.length; i++) {
            strides[i] = old[i - lead] == shape[i] ? t.stridesRef()[i - lead] : 0;
        }
        return t.asStrided(shape, strides, t.offset());
    }

    /** Sums a broadcast gradient back to the shape of the operand that was broadcast. */
    static Tensor sumToShape(Tensor g, int[] shape) {
        int[] gs = g.shapeRef();
        if (Arrays.equals(gs, shape)) {
            return g;
        }
        int lead = gs.length - shape.length;
        boolean[] reduce = new boolean[gs.length];
        for (int i = 0; i < gs.length; i++) {
            reduce[i] = i < lead || (shape[i - lead] == 1 && gs[i] != 1);
        }
        return g.backend().sum(g, reduce).view(shape);
    }

    // ---------------------------------------------------------------- reductions

    static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
        requireFloating("sum", x);
        int rank = x.dim();
        boolean[] reduce = new boolean[rank];
        for (int d : dims) {
            int n = Shape.dim("sum", d, rank);
            if (reduce[n]) {
                throw new IllegalArgumentException("sum: dimension " + d + " repeated in " + Shape.format(dims));
            }
            reduce[n] = true;
        }
        Tensor kept = x.backend().sum(x, reduce);
        int[] keptShape = kept.shapeRef();
        int[] inShape = x.shapeRef();
        Tensor out = keepdim ? kept : kept.asStrided(dropReduced(keptShape, reduce), dropReduced(kept.stridesRef(), reduce), 0);
        return Node.record("sum", out, g -> new Tensor[] {g.reshape(keptShape).expand(inShape)}, x);
    }

    static Tensor mean(Tensor x, int[] dims, boolean keepdim) {
        int count = 1;
        for (int d : dims) {
            count *= x.size(d);
        }
        return sum(x, dims, keepdim).mul(1.0 / count);
    }

    static Tensor.MaxResult max(Tensor x, int dim, boolean keepdim) {
        requireFloating("max", x);
        int d = Shape.dim("max", dim, x.dim());
        if (x.shapeRef()[d] == 0) {
            throw new IllegalArgumentException("max: dimension " + d + " of shape " + Shape.format(x.shapeRef()) + " is empty");
        }
        Tensor[] vi = x.backend().max(x, d);
        int size = x.shapeRef()[d];
        Tensor indices = vi[1];
        int[] keptShape = vi[0].shapeRef();
        Tensor values = Node.record("max", vi[0], g -> new Tensor[] {
            g.reshape(keptShape).mul(g.backend().oneHot(indices, d, size, g.dtype()))}, x);
        if (!keepdim) {
            return new Tensor.MaxResult(values.squeeze(d), indices.squeeze(d));
        }
        return new Tensor.MaxResult(values, indices);
    }

    private static int[] dropReduced(int[] v, boolean[] reduce) {
        int n = 0;
        for (boolean r : reduce) {
            n += r ? 0 : 1;
        }
        int[] out = new int[n];
        for (int i = 0, j = 0; i < v.length; i++) {
            if (!reduce[i]) {
                out[j++] = v[i];
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- linear algebra

    static Tensor matmul(Tensor a, Tensor b) {
        requireSameDtype("matmul", a, b);
        requireFloating("matmul", a);
        if (a.dim() < 2 || b.dim() < 2) {
            throw new IllegalArgumentException("matmul: expects tensors with at least 2 dimensions, got "
                    + Shape.format(a.shapeRef()) + " and " + Shape.format(b.shapeRef()));
        }
        int m = a.size(-2);
        int k = a.size(-1);
        int n = b.size(-1);
        if (b.size(-2) != k) {
            throw new IllegalArgumentException("matmul: shapes " + Shape.format(a.shapeRef()) + " and "
                    + Shape.format(b.shapeRef()) + " cannot be multiplied (" + k + " vs " + b.size(-2) + ")");
        }
        int[] batch = Shape.broadcast("matmul", Arrays.copyOf(a.shapeRef(), a.dim() - 2),
                Arrays.copyOf(b.shapeRef(), b.dim() - 2));
        int batchCount = Shape.numel(batch);
        Tensor out = a.backend().matmul(asBatch(a, batch, batchCount, m, k), asBatch(b, batch, batchCount, k, n));
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        out = out.asStrided(outShape, Shape.contiguousStrides(outShape), 0);
        int[] sa = a.shapeRef();
        int[] sb = b.shapeRef();
        return Node.record("matmul", out, g -> new Tensor[] {
            a.requiresGrad() ? sumToShape(g.matmul(b.transpose(-1, -2)), sa) : null,
            b.requiresGrad() ? sumToShape(a.transpose(-1, -2).matmul(g), sb) : null}, a, b);
    }

    /** {@code t} as a [batch, rows, cols] view when its layout allows, else as a contiguous copy. */
    private static Tensor asBatch(Tensor t, int[] batch, int batchCount, int rows, int cols) {
        int[] shape3 = {batchCount, rows, cols};
        int r = t.dim();
        int rs = t.stridesRef()[r - 2];
        int cs = t.stridesRef()[r - 1];
        if (r == 2) {
            return broadcastView(t, new int[] {batchCount, rows, cols}).asStrided(shape3,
                    new int[] {0, rs, cs}, t.offset());
        }
        int[] full = Arrays.copyOf(batch, batch.length + 2);
        full[batch.length] = rows;
        full[batch.length + 1] = cols;
        Tensor e = broadcastView(t, full);
        int[] es = e.stridesRef();
        boolean collapsible = true;
        for (int i = 0; i + 1 < batch.length; i++) {
            collapsible &= es[i] == es[i + 1] * batch[i + 1];
        }
        if (collapsible) {
            int bs = batch.length == 0 ? 0 : es[batch.length - 1];
            return e.asStrided(shape3, new int[] {bs, rs, cs}, e.offset());
        }
        Tensor c = e.contiguousCopy();
        return c.asStrided(shape3, Shape.contiguousStrides(shape3), 0);
    }

    static Tensor convert(Tensor x, DType target) {
        Tensor out = Tensor.zeros(x.backend(), target, x.shapeRef());
        x.backend().copy(x, out);
        if (!target.isFloatingPoint()) {
            return out;
        }
        DType source = x.dtype();
        return Node.record("to", out, g -> new Tensor[] {g.to(source)}, x);
    }
}
