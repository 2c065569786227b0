package dev.graft.engine.cpu;

import dev.graft.engine.Backend;
import dev.graft.engine.DType;
import dev.graft.engine.Storage;

/** A Java array holding a CPU tensor's elements: exactly one of the three arrays is non-null. */
final class CpuStorage implements Storage {
    final float[] f;
    final double[] d;
    final long[] l;

    private CpuStorage(float[] f, double[] d, long[] l) {
        this.f = f;
        this.d = d;
        this.l = l;
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

    static CpuStorage allocate(DType dtype, int size) {
        return switch (dtype) {
            case F32 -> of(new float[size]);
            case F64 -> of(new double[size]);
            case I64 -> of(new long[size]);
        };
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
