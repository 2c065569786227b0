package dev.graft.engine.cpu;
import dev.graft.engine.ConvGeometry;
// TEMPORARY stand-in until helper-1's kernel lands.
final class Conv2dKernels {
    static float[] forward(float[] x, float[] w, float[] b, ConvGeometry g) { throw new IllegalStateException("temp"); }
    static float[] backwardInput(float[] x, float[] w, ConvGeometry g) { throw new IllegalStateException("temp"); }
    static float[] backwardWeight(float[] x, float[] w, ConvGeometry g) { throw new IllegalStateException("temp"); }
}
