package dev.graft.engine.cpu;

/** Conversions between the F32 and F64 arrays that the kernel tests compare. */
final class FloatArrays {
    private FloatArrays() {
    }

    static float[] narrow(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}
