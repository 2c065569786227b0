package dev.graft.engine.cpu;

import dev.graft.engine.Backend;
import dev.graft.engine.DType;
import dev.graft.engine.Storage;

/** A Java array holding a CPU tensor's elements: exactly one of the three arrays is non-null. */
final class CpuStorage implements Storage {
    final float[] f;
    final double[] d;
    final long[] l;
    /** Set when a {@link StepMemory} step ended and took the array back; see {@link Storage#recycled()}. */
    private boolean recycled;

    private CpuStorage(float[] f, double[] d, long[] l) {
        this.f = f;
        this.d = d;
        this.l = l;
        StepMemory.madeOver(array(), this);
    }

    static CpuStorage of(float[] f) {
        return new CpuStorage(f, null, null);
    }

    static CpuStorage of(double[] d) {
        return new CpuStorage(null, d, null);
    }

    static CpuStorage of(long[] l) {
        return new CpuStorage(null, null, l);
    }

    /** Zero-filled; lent by the open {@link StepMemory} step, if any. */
    static CpuStorage allocate(DType dtype, int size) {
        return switch (dtype) {
            case F32 -> of(StepMemory.floats(size));
            case F64 -> of(StepMemory.doubles(size));
            case I64 -> of(StepMemory.longs(size));
        };
    }

    Object array() {
        return f != null ? f : d != null ? d : l;
    }

    void markRecycled() {
        recycled = true;
    }

    @Override
    public boolean recycled() {
        return recycled;
    }

    @Override
    public DType dtype() {
        return f != null ? DType.F32 : d != null ? DType.F64 : DType.I64;
    }

    @Override
    public int size() {
        return f != null ? f.length : d != null ? d.length : l.length;
    }

    @Override
    public Backend backend() {
        return CpuBackend.INSTANCE;
    }
}
