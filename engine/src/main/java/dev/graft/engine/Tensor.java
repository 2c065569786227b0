package dev.graft.engine;

import java.util.Arrays;

/**
 * An n-dimensional array: shape, strides and offset over a {@link Storage}, plus autograd state. Operations
 * return new tensors (views share storage); a result requires grad iff one of its inputs does and grad mode
 * is on (see {@link NoGrad}). Semantics follow PyTorch: NCHW layout, NumPy broadcasting, negative dims.
 */
public final class Tensor {
    private Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;
    private boolean requiresGrad;
    private Tensor grad;
    Node gradFn;

    Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    /** A contiguous tensor over a whole storage; used by backends to return their results. */
    public static Tensor of(Storage storage, int... shape) {
        if (Shape.numel(shape) != storage.size()) {
            throw new IllegalArgumentException("tensor: shape " + Shape.format(shape) + " needs " + Shape.numel(shape)
                    + " elements, storage holds " + storage.size());
        }
        return new Tensor(storage, shape.clone(), Shape.contiguousStrides(shape), 0);
    }

    /**
     * A view with explicit geometry over {@code storage}; used by backends. Every reachable element must lie
     * inside the storage.
     */
    public static Tensor ofStrided(Storage storage, int[] shape, int[] strides, int offset) {
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("tensor: shape " + Shape.format(shape) + " and strides "
                    + Shape.format(strides) + " differ in rank");
        }
        long lo = offset;
        long hi = offset;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("tensor: negative size in shape " + Shape.format(shape));
            }
            if (shape[i] == 0) {
                lo = offset;
                hi = offset - 1L;
                break;
            }
            long span = (long) (shape[i] - 1) * strides[i];
            lo += Math.min(0, span);
            hi += Math.max(0, span);
        }
        if (hi >= lo && (lo < 0 || hi >= storage.size())) {
            throw new IllegalArgumentException("tensor: view " + Shape.format(shape) + " strides " + Shape.format(strides)
                    + " offset " + offset + " reaches outside a storage of " + storage.size() + " elements");
        }
        return new Tensor(storage, shape.clone(), strides.clone(), offset);
    }

    // ---------------------------------------------------------------- creation

    public static Tensor zeros(int... shape) {
        return zeros(DType.F32, shape);
    }

    /** Zeros on the CPU backend, where every factory without a backend argument creates its tensors. */
    public static Tensor zeros(DType dtype, int... shape) {
        return zeros(Backends.cpu(), dtype, shape);
    }

    public static Tensor zeros(Backend backend, DType dtype, int... shape) {
        return of(backend.allocate(dtype, Shape.numel(shape)), shape);
    }

    /** Zeros of {@code t}'s shape and dtype on {@code t}'s backend. */
    public static Tensor zerosLike(Tensor t) {
        return zeros(t.backend(), t.dtype(), t.shape);
    }

    public static Tensor ones(int... shape) {
        return full(1, shape);
    }

    public static Tensor full(double value, int... shape) {
        return full(DType.F32, value, shape);
    }

    public static Tensor full(DType dtype, double value, int... shape) {
        return full(Backends.cpu(), dtype, value, shape);
    }

    public static Tensor full(Backend backend, DType dtype, double value, int... shape) {
        Tensor t = zeros(backend, dtype, shape);
        if (value != 0) {
            t.backend().fill(t, value);
        }
        return t;
    }

    public static Tensor scalar(double value) {
        return full(value);
    }

    /** start, start + step, … below end (above end for a negative step), F32. */
    public static Tensor arange(double start, double end, double step) {
        return arange(DType.F32, start, end, step);
    }

    public static Tensor arange(int end) {
        return arange(DType.F32, 0, end, 1);
    }

    public static Tensor arange(DType dtype, double start, double end, double step) {
        if (step == 0 || !Double.isFinite(start) || !Double.isFinite(end) || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange: need finite bounds and a non-zero step, got start=" + start
                    + " end=" + end + " step=" + step);
        }
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = start + i * step;
        }
        return of(v, n).to(dtype);
    }

    /** Uniform [0, 1) samples from {@code gen}, F32. */
    public static Tensor rand(Generator gen, int... shape) {
        float[] v = new float[Shape.numel(shape)];
        gen.fillUniform(v);
        return of(v, shape);
    }

    /** Standard normal samples from {@code gen}, F32. */
    public static Tensor randn(Generator gen, int... shape) {
        float[] v = new float[Shape.numel(shape)];
        gen.fillNormal(v);
        return of(v, shape);
    }

    /** An F32 tensor over a copy of {@code data}. */
    public static Tensor of(float[] data, int... shape) {
        checkLength(data.length, shape);
        return of(Backends.cpu().upload(data.clone()), shape);
    }

    /** An F64 tensor over a copy of {@code data}. */
    public static Tensor of(double[] data, int... shape) {
        checkLength(data.length, shape);
        return of(Backends.cpu().upload(data.clone()), shape);
    }

    /** An I64 tensor over a copy of {@code data}. */
    public static Tensor ofLongs(long[] data, int... shape) {
        checkLength(data.length, shape);
        return of(Backends.cpu().upload(data.clone()), shape);
    }

    private static void checkLength(int length, int[] shape) {
        if (Shape.numel(shape) != length) {
            throw new IllegalArgumentException("tensor: " + length + " values do not fill shape " + Shape.format(shape)
                    + " (" + Shape.numel(shape) + " elements)");
        }
    }

    // ---------------------------------------------------------------- metadata and data access

    public int[] shape() {
        return shape.clone();
    }

    public int size(int dim) {
        return shape[Shape.dim("size", dim, shape.length)];
    }

    public int[] strides() {
        return strides.clone();
    }

    public int stride(int dim) {
        return strides[Shape.dim("stride", dim, shape.length)];
    }

    public int offset() {
        return offset;
    }

    public int dim() {
        return shape.length;
    }

    public int numel() {
        return Shape.numel(shape);
    }

    public DType dtype() {
        return storage.dtype();
    }

    /** @throws IllegalStateException when the backend has recycled the storage (it outlived its training step) */
    public Storage storage() {
        if (storage.recycled()) {
            throw new IllegalStateException("tensor " + Shape.format(shape) + ": its memory was recycled when the"
                    + " training step that made it ended; read or copy what must outlive a step before it ends");
        }
        return storage;
    }

    public Backend backend() {
        return storage.backend();
    }

    /** Row-major without gaps; an empty tensor always is (it has no element to be out of place). */
    public boolean isContiguous() {
        if (numel() == 0) {
            return true;
        }
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** The elements in row-major order as doubles (a copy). */
    public double[] toDoubleArray() {
        return backend().downloadDoubles(this);
    }

    public float[] toFloatArray() {
        return backend().downloadFloats(this);
    }

    public long[] toLongArray() {
        return backend().downloadLongs(this);
    }

    /** The single element of a one-element tensor. */
    public double item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item: tensor of shape " + Shape.format(shape) + " has " + numel()
                    + " elements, expected 1");
        }
        return toDoubleArray()[0];
    }

    /** The element at {@code index} (one coordinate per dimension, negatives count from the end). */
    public double get(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("get: " + index.length + " indices for a " + shape.length
                    + "-D tensor of shape " + Shape.format(shape));
        }
        Tensor t = this;
        for (int i = index.length - 1; i >= 0; i--) {
            t = Views.select(t, i, index[i]);
        }
        return t.item();
    }

    // ---------------------------------------------------------------- autograd

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor as requiring grad; results of operations get the flag from their inputs. */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null) {
            throw new IllegalArgumentException("requiresGrad: only leaf tensors can change it; this one comes from "
                    + gradFn.name());
        }
        if (value && !dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("requiresGrad: " + dtype() + " tensors cannot require grad");
        }
        requiresGrad = value;
        return this;
    }

    /** The accumulated gradient of a leaf, or null. */
    public Tensor grad() {
        return grad;
    }

    public void zeroGrad() {
        grad = null;
    }

    void accumulateGrad(Tensor g) {
        grad = grad == null ? g.contiguousCopy() : Ops.binary(BinaryOp.ADD, grad, g).detach();
    }

    /** The name of the operation that produced this tensor, or null for a leaf. */
    public String gradFnName() {
        return gradFn == null ? null : gradFn.name();
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    /** Back-propagates from a scalar. */
    public void backward() {
        Autograd.backward(this, null);
    }

    /** Back-propagates {@code gradient} (same shape as this tensor). */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient);
    }

    /** A tensor sharing this storage that records no history. */
    public Tensor detach() {
        return new Tensor(storage, shape, strides, offset);
    }

    // ---------------------------------------------------------------- copies and in-place writes (no autograd)

    /** A contiguous tensor: this one when already contiguous, otherwise a copy (differentiable). */
    public Tensor contiguous() {
        return isContiguous() ? this : Views.contiguous(this);
    }

    Tensor contiguousCopy() {
        Tensor out = zerosLike(this);
        backend().copy(this, out);
        return out;
    }

    /** Converts to another dtype (a differentiable copy between floating types). */
    public Tensor to(DType target) {
        return target == dtype() ? this : Ops.convert(this, target);
    }

    /**
     * This tensor on {@code target}: itself when it already lives there, otherwise a contiguous copy made by
     * downloading from this backend and uploading to {@code target} (differentiable: the gradient moves back).
     */
    public Tensor to(Backend target) {
        Backend source = backend();
        if (target == source) {
            return this;
        }
        Tensor out = of(transfer(this, target), shape);
        return Node.record("to", out, g -> new Tensor[] {g.to(source)}, this);
    }

    /**
     * Moves this leaf's elements to {@code target} in place, as {@code Module.to} does with parameters and
     * buffers: the tensor object, and everything holding it (modules, optimizers), stays the same; an
     * accumulated gradient moves too; views taken earlier keep the old storage. Only a leaf covering its whole
     * storage contiguously can move.
     */
    public Tensor moveTo(Backend target) {
        if (target == backend()) {
            return this;
        }
        if (gradFn != null) {
            throw new IllegalArgumentException("moveTo: only leaf tensors move in place; this one comes from "
                    + gradFn.name());
        }
        if (offset != 0 || !isContiguous() || storage.size() != numel()) {
            throw new IllegalArgumentException("moveTo: tensor " + Shape.format(shape) + " is a view (strides "
                    + Shape.format(strides) + ", offset " + offset + " of a storage of " + storage.size()
                    + "); only a tensor covering its whole storage moves in place, use to(backend) for a copy");
        }
        storage = transfer(this, target);
        if (grad != null) {
            grad = grad.to(target).detach();
        }
        return this;
    }

    /** A new storage on {@code target} holding {@code t}'s elements in row-major order: download, then upload. */
    private static Storage transfer(Tensor t, Backend target) {
        Backend source = t.backend();
        return switch (t.dtype()) {
            case F32 -> target.upload(source.downloadFloats(t));
            case F64 -> target.upload(source.downloadDoubles(t));
            case I64 -> target.upload(source.downloadLongs(t));
        };
    }

    /**
     * Overwrites this tensor's elements with {@code src} (same shape), converting dtypes; records no history.
     * A source on another backend is transferred first (see {@link #to(Backend)}).
     */
    public Tensor copyFrom(Tensor src) {
        if (!Arrays.equals(shape, src.shape)) {
            throw new IllegalArgumentException("copyFrom: source shape " + Shape.format(src.shape)
                    + " differs from destination shape " + Shape.format(shape));
        }
        backend().copy(src.backend() == backend() ? src : src.detach().to(backend()), this);
        return this;
    }

    /** Sets every element to {@code value}; records no history. */
    public Tensor fill(double value) {
        backend().fill(this, value);
        return this;
    }

    // ---------------------------------------------------------------- views

    public Tensor view(int... newShape) {
        return Views.view(this, newShape);
    }

    public Tensor reshape(int... newShape) {
        return Views.reshape(this, newShape);
    }

    /** Flattens dimensions {@code startDim} to the last into one. */
    public Tensor flatten(int startDim) {
        return Views.flatten(this, startDim);
    }

    public Tensor permute(int... dims) {
        return Views.permute(this, dims);
    }

    public Tensor transpose(int dim0, int dim1) {
        return Views.transpose(this, dim0, dim1);
    }

    /** Transpose of a 2-D tensor. */
    public Tensor t() {
        if (dim() != 2) {
            throw new IllegalArgumentException("t: expects a 2-D tensor, got shape " + Shape.format(shape));
        }
        return transpose(0, 1);
    }

    public Tensor narrow(int dim, int start, int length) {
        return Views.slice(this, dim, start, start + length, 1);
    }

    /** Elements start, start + step, … below end along {@code dim} (Python's {@code x[start:end:step]}). */
    public Tensor slice(int dim, int start, int end, int step) {
        return Views.slice(this, dim, start, end, step);
    }

    /** The sub-tensor at {@code index} along {@code dim}, which is removed. */
    public Tensor select(int dim, int index) {
        return Views.select(this, dim, index);
    }

    /** Broadcasts size-1 dimensions (and new leading ones) to {@code newShape}; -1 keeps a size. */
    public Tensor expand(int... newShape) {
        return Views.expand(this, newShape);
    }

    public Tensor squeeze() {
        return Views.squeeze(this);
    }

    public Tensor squeeze(int dim) {
        return Views.squeeze(this, dim);
    }

    public Tensor unsqueeze(int dim) {
        return Views.unsqueeze(this, dim);
    }

    // ---------------------------------------------------------------- elementwise

    public Tensor add(Tensor other) {
        return Ops.broadcastBinary("add", BinaryOp.ADD, this, other);
    }

    public Tensor sub(Tensor other) {
        return Ops.broadcastBinary("sub", BinaryOp.SUB, this, other);
    }

    public Tensor mul(Tensor other) {
        return Ops.broadcastBinary("mul", BinaryOp.MUL, this, other);
    }

    public Tensor div(Tensor other) {
        return Ops.broadcastBinary("div", BinaryOp.DIV, this, other);
    }

    public Tensor add(double value) {
        return Ops.affine(this, 1, value);
    }

    public Tensor sub(double value) {
        return Ops.affine(this, 1, -value);
    }

    public Tensor mul(double value) {
        return Ops.affine(this, value, 0);
    }

    public Tensor div(double value) {
        return Ops.affine(this, 1 / value, 0);
    }

    public Tensor neg() {
        return Ops.unary("neg", UnaryOp.NEG, this, 0, 0);
    }

    public Tensor exp() {
        return Ops.unary("exp", UnaryOp.EXP, this, 0, 0);
    }

    public Tensor log() {
        return Ops.unary("log", UnaryOp.LOG, this, 0, 0);
    }

    public Tensor sqrt() {
        return Ops.unary("sqrt", UnaryOp.SQRT, this, 0, 0);
    }

    public Tensor abs() {
        return Ops.unary("abs", UnaryOp.ABS, this, 0, 0);
    }

    public Tensor pow(double exponent) {
        return Ops.unary("pow", UnaryOp.POW, this, exponent, 0);
    }

    public Tensor relu() {
        return Ops.unary("relu", UnaryOp.RELU, this, 0, 0);
    }

    /** Clamps to [min, max]; pass ±infinity for a one-sided clamp. */
    public Tensor clamp(double min, double max) {
        if (min > max) {
            throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        }
        return Ops.unary("clamp", UnaryOp.CLAMP, this, min, max);
    }

    /** 1/0 mask of {@code this > other} (broadcasting); never requires grad. */
    public Tensor gt(Tensor other) {
        return Ops.compare("gt", BinaryOp.GREATER, this, other);
    }

    /** 1/0 mask of {@code this == other} (broadcasting); never requires grad. */
    public Tensor eq(Tensor other) {
        return Ops.compare("eq", BinaryOp.EQUAL, this, other);
    }

    /** {@code cond ? a : b} with broadcasting; {@code cond} is true where non-zero. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return Ops.where(cond, a, b);
    }

    // ---------------------------------------------------------------- reductions

    public Tensor sum() {
        return Ops.sum(this, allDims(), false);
    }

    public Tensor sum(int dim, boolean keepdim) {
        return Ops.sum(this, new int[] {dim}, keepdim);
    }

    public Tensor sum(int[] dims, boolean keepdim) {
        return Ops.sum(this, dims, keepdim);
    }

    public Tensor mean() {
        return Ops.mean(this, allDims(), false);
    }

    public Tensor mean(int dim, boolean keepdim) {
        return Ops.mean(this, new int[] {dim}, keepdim);
    }

    public Tensor mean(int[] dims, boolean keepdim) {
        return Ops.mean(this, dims, keepdim);
    }

    /** Maximum over all elements (differentiable; the gradient goes to the first maximum). */
    public Tensor max() {
        return Ops.max(reshape(numel()), 0, false).values();
    }

    /** Maximum along {@code dim}: values (differentiable) and the I64 index of the first maximum. */
    public MaxResult max(int dim, boolean keepdim) {
        return Ops.max(this, dim, keepdim);
    }

    /** Index of the first maximum along {@code dim}, I64. */
    public Tensor argmax(int dim, boolean keepdim) {
        return Ops.max(this, dim, keepdim).indices();
    }

    /** Values and indices of a maximum reduction. */
    public record MaxResult(Tensor values, Tensor indices) {
    }

    private int[] allDims() {
        int[] d = new int[shape.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = i;
        }
        return d;
    }

    // ---------------------------------------------------------------- linear algebra and joins

    /** Matrix product; 2-D, or batched over leading dimensions with broadcasting (PyTorch's matmul for ≥ 2-D). */
    public Tensor matmul(Tensor other) {
        return Ops.matmul(this, other);
    }

    public static Tensor cat(int dim, Tensor... tensors) {
        return Joins.cat(dim, tensors);
    }

    public static Tensor stack(int dim, Tensor... tensors) {
        return Joins.stack(dim, tensors);
    }

    /**
     * Constant padding of the trailing dimensions, PyTorch order: {@code (lastBefore, lastAfter,
     * secondLastBefore, secondLastAfter, …)}.
     */
    public Tensor pad(int[] padding, double value) {
        return Joins.pad(this, padding, value);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(").append(dtype()).append(' ').append(Shape.format(shape));
        if (gradFn != null) {
            sb.append(", grad_fn=").append(gradFn.name());
        } else if (requiresGrad) {
            sb.append(", requires_grad");
        }
        int n = numel();
        if (n > 0 && n <= 16) {
            sb.append(", ").append(dtype() == DType.I64 ? Arrays.toString(toLongArray()) : Arrays.toString(toDoubleArray()));
        }
        return sb.append(')').toString();
    }

    // ---------------------------------------------------------------- internal construction

    /** A view of this tensor's storage with other geometry (no autograd). */
    Tensor asStrided(int[] newShape, int[] newStrides, int newOffset) {
        return new Tensor(storage, newShape, newStrides, newOffset);
    }

    int[] shapeRef() {
        return shape;
    }

    int[] stridesRef() {
        return strides;
    }

    void markRequiresGrad(Node node) {
        requiresGrad = true;
        gradFn = node;
    }
}
