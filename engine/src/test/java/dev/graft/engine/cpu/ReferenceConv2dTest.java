package dev.graft.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.graft.engine.ConvGeometry;
import dev.graft.engine.Shape;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The F64 reference gradients against central finite differences of the reference forward. With a random output
 * weighting r the scalar loss is {@code L = sum(r * forward(x, w))}, so dL/dx = backwardInput(r, w) and
 * dL/dw = backwardWeight(r, x). L is linear in each argument, so central differences carry only rounding error
 * and the comparison can be tight.
 */
class ReferenceConv2dTest {
    private static final double STEP = 1e-3;
    private static final double TOL = 1e-7;

    @Property(tries = 50)
    void gradientsMatchFiniteDifferences(
            @ForAll @IntRange(min = 1, max = 2) int batch,
            @ForAll @IntRange(min = 1, max = 2) int groups,
            @ForAll @IntRange(min = 1, max = 2) int inPerGroup,
            @ForAll @IntRange(min = 1, max = 2) int outPerGroup,
            @ForAll @IntRange(min = 1, max = 7) int h,
            @ForAll @IntRange(min = 1, max = 7) int w,
            @ForAll @IntRange(min = 0, max = 2) int kernelH,
            @ForAll @IntRange(min = 0, max = 2) int kernelW,
            @ForAll @IntRange(min = 1, max = 2) int stride,
            @ForAll @IntRange(min = 0, max = 2) int pad,
            @ForAll @IntRange(min = 1, max = 2) int dil) {
        int kh = 2 * kernelH + 1;
        int kw = 2 * kernelW + 1;
        int c = groups * inPerGroup;
        ConvGeometry g = ConvGeometry.of(
                new int[] {batch, c, Math.max(h, dil * (kh - 1) + 1 - 2 * pad), Math.max(w, dil * (kw - 1) + 1 - 2 * pad)},
                new int[] {groups * outPerGroup, inPerGroup, kh, kw},
                new int[] {stride, stride}, new int[] {pad, pad}, new int[] {dil, dil}, groups);
        Problem p = new Problem(g, 7L * h + 13L * w + kh);
        assertNull(p.mismatch("backwardInput", p.x, ReferenceConv2d.backwardInput(p.r, p.w, g),
                xs -> ReferenceConv2d.forward(xs, p.w, p.bias, g)));
        assertNull(p.mismatch("backwardWeight", p.w, ReferenceConv2d.backwardWeight(p.r, p.x, g),
                ws -> ReferenceConv2d.forward(p.x, ws, p.bias, g)));
    }

    @Test
    void depthwiseStridedDilatedGradients() {
        ConvGeometry g = ConvGeometry.of(new int[] {2, 3, 8, 7}, new int[] {6, 1, 3, 3},
                new int[] {2, 1}, new int[] {1, 2}, new int[] {2, 1}, 3);
        Problem p = new Problem(g, 42);
        assertNull(p.mismatch("backwardInput", p.x, ReferenceConv2d.backwardInput(p.r, p.w, g),
                xs -> ReferenceConv2d.forward(xs, p.w, p.bias, g)));
        assertNull(p.mismatch("backwardWeight", p.w, ReferenceConv2d.backwardWeight(p.r, p.x, g),
                ws -> ReferenceConv2d.forward(p.x, ws, p.bias, g)));
    }

    /** The check must catch a single element off by ten tolerances, and a gradient for the wrong weighting. */
    @Test
    void comparisonCatchesWrongGradients() {
        ConvGeometry g = ConvGeometry.of(new int[] {1, 2, 5, 5}, new int[] {3, 2, 3, 3},
                new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
        Problem p = new Problem(g, 7);
        UnaryOperator<double[]> byWeight = ws -> ReferenceConv2d.forward(p.x, ws, p.bias, g);
        double[] gw = ReferenceConv2d.backwardWeight(p.r, p.x, g);
        assertNull(p.mismatch("backwardWeight", p.w, gw, byWeight));

        double[] perturbed = gw.clone();
        perturbed[11] += 10 * TOL * Math.max(1, Math.abs(gw[11]));
        assertNotNull(p.mismatch("backwardWeight", p.w, perturbed, byWeight));

        double[] otherWeighting = new double[p.r.length];
        for (int i = 0; i < otherWeighting.length; i++) {
            otherWeighting[i] = p.r[(i + 1) % p.r.length];
        }
        assertNotNull(p.mismatch("backwardWeight", p.w, ReferenceConv2d.backwardWeight(otherWeighting, p.x, g),
                byWeight));
    }

    /** A hand-computed case: 1 channel, 2x2 kernel of ones, no padding, plus bias. */
    @Test
    void forwardOnAKnownExample() {
        ConvGeometry g = ConvGeometry.of(new int[] {1, 1, 3, 3}, new int[] {1, 1, 2, 2},
                new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1);
        double[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        double[] y = ReferenceConv2d.forward(x, new double[] {1, 1, 1, 1}, new double[] {0.5}, g);
        assertArrayEquals(new double[] {12.5, 16.5, 24.5, 28.5}, y, 0.0);
    }

    @Test
    void rejectsArraysThatDoNotMatchTheGeometry() {
        ConvGeometry g = ConvGeometry.of(new int[] {1, 1, 3, 3}, new int[] {1, 1, 2, 2},
                new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1);
        var e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceConv2d.backwardInput(new double[4], new double[3], g));
        assertEquals("conv2d backwardInput: weight has 3 elements, expected 4 for shape [1, 1, 2, 2]",
                e.getMessage());
    }

    /** Random input, weight, bias and output weighting for one geometry. */
    private static final class Problem {
        final double[] x;
        final double[] w;
        final double[] bias;
        final double[] r;

        Problem(ConvGeometry g, long seed) {
            SplittableRandom rnd = new SplittableRandom(seed);
            x = rnd.doubles(Shape.numel(g.inputShape()), -1, 1).toArray();
            w = rnd.doubles(Shape.numel(g.weightShape()), -1, 1).toArray();
            bias = rnd.doubles(g.outC(), -1, 1).toArray();
            r = rnd.doubles(Shape.numel(g.outputShape()), -1, 1).toArray();
        }

        double loss(double[] y) {
            double s = 0;
            for (int i = 0; i < y.length; i++) {
                s += r[i] * y[i];
            }
            return s;
        }

        /**
         * Compares {@code analytic} with the central difference of L along every element of {@code arg} (perturbed
         * in place and restored); returns a description of the first mismatch, or null when all agree.
         */
        String mismatch(String what, double[] arg, double[] analytic, UnaryOperator<double[]> forward) {
            for (int i = 0; i < arg.length; i++) {
                double saved = arg[i];
                arg[i] = saved + STEP;
                double up = loss(forward.apply(arg));
                arg[i] = saved - STEP;
                double down = loss(forward.apply(arg));
                arg[i] = saved;
                double numeric = (up - down) / (2 * STEP);
                if (Math.abs(numeric - analytic[i]) > TOL * Math.max(1, Math.abs(numeric))) {
                    return what + "[" + i + "] = " + analytic[i] + ", finite difference " + numeric;
                }
            }
            return null;
        }
    }
}
