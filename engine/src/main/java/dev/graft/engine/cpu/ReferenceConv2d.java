package dev.graft.engine.cpu;
import dev.graft.engine.ConvGeometry;
// TEMPORARY stand-in until helper-1's kernel lands.
final class ReferenceConv2d {
    static double[] forward(double[] x, double[] w, double[] b, ConvGeometry g) { throw new IllegalStateException("temp"); }
    static double[] backwardInput(double[] x, double[] w, ConvGeometry g) { throw new IllegalStateException("temp"); }
    static double[] backwardWeight(double[] x, double[] w, ConvGeometry g) { throw new IllegalStateException("temp"); }
}
