package dev.graft.engine.cpu;
// TEMPORARY stand-in until helper-2's kernel lands.
final class BatchNormKernels {
    static void trainForward(float[] x, int n, int c, int hw, float[] w, float[] b, float[] rm, float[] rv, double m, double e, float[] o, float[] sm, float[] si) { throw new IllegalStateException("temp"); }
    static void trainForward(double[] x, int n, int c, int hw, double[] w, double[] b, double[] rm, double[] rv, double m, double e, double[] o, double[] sm, double[] si) { throw new IllegalStateException("temp"); }
    static void backward(float[] g, float[] x, int n, int c, int hw, float[] w, float[] sm, float[] si, float[] gx, float[] gw, float[] gb) { throw new IllegalStateException("temp"); }
    static void backward(double[] g, double[] x, int n, int c, int hw, double[] w, double[] sm, double[] si, double[] gx, double[] gw, double[] gb) { throw new IllegalStateException("temp"); }
}
