package dev.graft.engine.cpu;
import dev.graft.engine.PoolGeometry;
// TEMPORARY stand-in until helper-2's kernel lands.
final class PoolKernels {
    static float[] maxPool2d(float[] x, PoolGeometry g, int[] a) { throw new IllegalStateException("temp"); }
    static double[] maxPool2d(double[] x, PoolGeometry g, int[] a) { throw new IllegalStateException("temp"); }
    static float[] maxPool2dBackward(float[] x, int[] a, PoolGeometry g) { throw new IllegalStateException("temp"); }
    static double[] maxPool2dBackward(double[] x, int[] a, PoolGeometry g) { throw new IllegalStateException("temp"); }
    static float[] avgPool2d(float[] x, PoolGeometry g, boolean c) { throw new IllegalStateException("temp"); }
    static double[] avgPool2d(double[] x, PoolGeometry g, boolean c) { throw new IllegalStateException("temp"); }
    static float[] avgPool2dBackward(float[] x, PoolGeometry g, boolean c) { throw new IllegalStateException("temp"); }
    static double[] avgPool2dBackward(double[] x, PoolGeometry g, boolean c) { throw new IllegalStateException("temp"); }
    static float[] adaptiveAvgPool2d(float[] x, int n, int c, int h, int w, int oh, int ow) { throw new IllegalStateException("temp"); }
    static double[] adaptiveAvgPool2d(double[] x, int n, int c, int h, int w, int oh, int ow) { throw new IllegalStateException("temp"); }
    static float[] adaptiveAvgPool2dBackward(float[] x, int n, int c, int h, int w, int oh, int ow) { throw new IllegalStateException("temp"); }
    static double[] adaptiveAvgPool2dBackward(double[] x, int n, int c, int h, int w, int oh, int ow) { throw new IllegalStateException("temp"); }
}
