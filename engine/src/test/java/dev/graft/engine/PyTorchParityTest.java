package dev.graft.engine;

import dev.graft.engine.ParityFixtures.Array;
import dev.graft.engine.ParityFixtures.Case;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import org.junit.jupiter.api.Tag;

/**
 * Matches graft's F32 operations against PyTorch: outputs, gradients of a random weighting of the output with
 * respect to every differentiable input, and updated running statistics, all from the fixtures written by
 * {@code engine/src/test/fixtures/make_parity_fixtures.py}. Each tensor must agree within
 * {@code 1e-5 · max(1, max|reference|)} in every element.
 */
@Tag("backend")
class PyTorchParityTest {
    private static final double RELATIVE_TOLERANCE = 1e-5;

    private static final Set<String> OPS = Set.of("conv2d", "batch_norm", "max_pool2d", "avg_pool2d",
            "adaptive_avg_pool2d", "cross_entropy", "nll_loss", "log_softmax", "softmax", "linear");

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        return ParityFixtures.load().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            try {
                check(c);
            } catch (RuntimeException e) {
                // Build reports list dynamic tests by position; the message must say which case broke.
                throw new AssertionError(c.name() + ": graft threw " + e, e);
            }
        }));
    }

    /** A fixture regenerated without some op would otherwise leave that op silently untested. */
    @Test
    void fixturesCoverEveryOp() {
        Set<String> covered = ParityFixtures.load().stream().map(Case::op)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(OPS), covered);
    }

    private static void check(Case c) {
        assertTrue(c.expected().containsKey("out"), c.name() + ": fixture has no expected output");
        Map<String, Tensor> in = new LinkedHashMap<>();
        // The fixture holds a gradient exactly for the inputs PyTorch differentiates; the rest are constants.
        c.inputs().forEach((name, a) ->
                in.put(name, TestBackend.on(a.toTensor()).requiresGrad(c.expected().containsKey("grad." + name))));
        Tensor gout = in.remove("gout");
        assertNotNull(gout, c.name() + ": fixture has no output weighting 'gout'");
        Tensor out = run(c, in);
        out.backward(gout);
        for (Array ref : c.expected().values()) {
            assertMatches(c, ref, produced(c, in, out, ref.name()));
        }
    }

    private static Tensor run(Case c, Map<String, Tensor> in) {
        Tensor x = in.get("x");
        return switch (c.op()) {
            case "conv2d" -> Functional.conv2d(x, in.get("weight"), in.get("bias"), c.ints("stride"),
                    c.ints("padding"), c.ints("dilation"), c.integer("groups"));
            case "batch_norm" -> Functional.batchNorm(x, in.get("running_mean"), in.get("running_var"),
                    in.get("weight"), in.get("bias"), c.flag("training"), c.real("momentum"), c.real("eps"));
            case "max_pool2d" -> Functional.maxPool2d(x, c.ints("kernel"), c.ints("stride"), c.ints("padding"));
            case "avg_pool2d" -> Functional.avgPool2d(x, c.ints("kernel"), c.ints("stride"), c.ints("padding"),
                    c.flag("count_include_pad"));
            case "adaptive_avg_pool2d" -> {
                int[] size = c.ints("output_size");
                yield Functional.adaptiveAvgPool2d(x, size[0], size[1]);
            }
            case "cross_entropy" -> Functional.crossEntropy(x, in.get("target"), in.get("weight"),
                    c.real("label_smoothing"), reduction(c));
            case "nll_loss" -> Functional.nllLoss(x, in.get("target"), in.get("weight"), reduction(c));
            case "log_softmax" -> Functional.logSoftmax(x, c.integer("dim"));
            case "softmax" -> Functional.softmax(x, c.integer("dim"));
            case "linear" -> Functional.linear(x, in.get("weight"), in.get("bias"));
            default -> throw new IllegalStateException(c.name() + ": no graft op for fixture op '" + c.op() + "'");
        };
    }

    private static Reduction reduction(Case c) {
        return Reduction.valueOf(c.arg("reduction").toUpperCase(Locale.ROOT));
    }

    /** graft's counterpart of an expected tensor: {@code out}, {@code grad.NAME} or {@code NAME.after}. */
    private static Tensor produced(Case c, Map<String, Tensor> in, Tensor out, String name) {
        if (name.equals("out")) {
            return out;
        }
        if (name.startsWith("grad.")) {
            String input = name.substring("grad.".length());
            Tensor grad = in.get(input).grad();
            assertNotNull(grad, c.name() + ": graft computed no gradient for " + input);
            return grad;
        }
        if (name.endsWith(".after")) {
            // Running statistics are updated in place, so the input tensor now holds the new values.
            return in.get(name.substring(0, name.length() - ".after".length()));
        }
        throw new IllegalStateException(c.name() + ": unknown expected tensor '" + name + "'");
    }

    private static void assertMatches(Case c, Array ref, Tensor actual) {
        String what = c.name() + ": " + ref.name();
        assertSame(TestBackend.BACKEND, actual.backend(), what + " left the backend under test");
        assertArrayEquals(ref.shape(), actual.shape(), what + " has the wrong shape");
        assertEquals(DType.F32, actual.dtype(), what + " has the wrong dtype");
        float[] want = ref.floats();
        float[] got = actual.toFloatArray();
        double scale = 1;
        for (float v : want) {
            scale = Math.max(scale, Math.abs(v));
        }
        int worst = 0;
        double worstError = -1;
        for (int i = 0; i < want.length; i++) {
            double error = Math.abs((double) got[i] - want[i]);
            // A NaN from graft is the worst possible mismatch, not one that slips past the comparison.
            if (Double.isNaN(error)) {
                error = Double.POSITIVE_INFINITY;
            }
            if (error > worstError) {
                worst = i;
                worstError = error;
            }
        }
        double tolerance = RELATIVE_TOLERANCE * scale;
        if (worstError > tolerance) {
            fail(String.format(Locale.ROOT, "%s differs from PyTorch at %s: graft %s, PyTorch %s, |Δ| %.3e > %.3e"
                            + " (1e-5 · max(1, max|ref| %.4g))", what, index(ref.shape(), worst), got[worst],
                    want[worst], worstError, tolerance, scale));
        }
    }

    /** The coordinates of row-major element {@code flat} in {@code shape}, e.g. {@code [1, 0, 2, 3]}. */
    private static String index(int[] shape, int flat) {
        int[] coords = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            coords[d] = flat % shape[d];
            flat /= shape[d];
        }
        return Shape.format(coords);
    }
}
