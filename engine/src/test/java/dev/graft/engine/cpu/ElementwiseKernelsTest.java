package dev.graft.engine.cpu;

import static dev.graft.engine.cpu.F32Checks.assertClose;
import static dev.graft.engine.cpu.F32Checks.assertRounded;
import static dev.graft.engine.cpu.F32Checks.perturbed;
import static dev.graft.engine.cpu.FloatArrays.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.graft.engine.BinaryOp;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import dev.graft.engine.UnaryOp;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The vectorised F32 elementwise loops against F64 twins on the same float inputs: lengths below one vector,
 * around it and long enough to be split over threads, data with NaN, infinities, signed zeros and values on the
 * ops' thresholds, and binary operands that are contiguous, per-row scalars (stride 0), transposed, offset or
 * fully broadcast. Results are exact: each F32 element is the F64 element rounded to float (which holds for
 * + - * / and sqrt, as double carries more than 2·24+2 bits), except AFFINE, whose F32 form rounds twice.
 */
class ElementwiseKernelsTest {
    /** Values that exercise NaN propagation, signed zeros, infinities and the thresholds a/b drawn below. */
    private static final float[] SPECIAL = {Float.NaN, 0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        0.1f, -0.1f, 1f, -1f, 0.5f, Float.MIN_VALUE, Float.MAX_VALUE};

    private static float[] data(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextInt(5) == 0 ? SPECIAL[rnd.nextInt(SPECIAL.length)] : (float) (rnd.nextGaussian() * 2);
        }
        return x;
    }

    /** Short lengths around the vector width, or one long enough that threads split it at arbitrary points. */
    private static int length(Random rnd, boolean large) {
        return large ? (1 << 16) + 1 + rnd.nextInt(1000) : rnd.nextInt(70);
    }

    // ---- unary ---------------------------------------------------------------------------------------------

    @Property(tries = 300)
    void unaryMatchesF64(@ForAll UnaryOp op, @ForAll boolean large, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = data(rnd, length(rnd, large));
        // Thresholds and bounds that are not floats (0.1) as well as ones that are, so the float conversion shows.
        double[] params = {0.1, -0.1, 0, 0.5, -1, 2.5, 1e-40};
        double a = params[rnd.nextInt(params.length)];
        double b = Math.max(a, params[rnd.nextInt(params.length)]);
        if (op == UnaryOp.POW) {
            a = new double[] {2, 0.5, 3, -1}[rnd.nextInt(4)];
        }
        float[] y = new float[x.length];
        ElementwiseKernels.unary(op, x, y, a, b);
        double[] ref = new double[x.length];
        ElementwiseKernels.unary(op, widen(x), ref, a, b);
        check(op, x, a, b, ref, y);
    }

    /**
     * F32 AFFINE uses a and b rounded to float and rounds after the product and after the sum: its error budget is
     * half an ulp of each of those two results plus what the float conversion of a and b moved.
     */
    private static void check(UnaryOp op, float[] x, double a, double b, double[] ref, float[] y) {
        if (op == UnaryOp.AFFINE) {
            float fa = (float) a;
            float fb = (float) b;
            double[] budget = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                budget[i] = 0.5 * (Math.ulp(fa * x[i]) + Math.ulp(fa * x[i] + fb)) + Math.abs(x[i] * (a - fa))
                        + Math.abs(b - fb) + Math.ulp(ref[i]);
            }
            assertClose("affine", ref, y, 1, budget);
        } else {
            assertRounded(op.name().toLowerCase(), ref, y);
        }
    }

    @Test
    void unaryCheckerCatchesOneUlp() {
        Random rnd = new Random(3);
        float[] x = data(rnd, 37);
        for (UnaryOp op : new UnaryOp[] {UnaryOp.RELU, UnaryOp.SQRT, UnaryOp.AFFINE}) {
            float[] y = new float[x.length];
            ElementwiseKernels.unary(op, x, y, 2, 1);
            double[] ref = new double[x.length];
            ElementwiseKernels.unary(op, widen(x), ref, 2, 1);
            check(op, x, 2, 1, ref, y);
            int at = 33; // in the scalar tail after two AVX-512 vectors
            float[] wrong = op == UnaryOp.AFFINE ? perturbed(y, at, 4 * Math.ulp(y[at])) : perturbed(y, at);
            assertThrows(AssertionError.class, () -> check(op, x, 2, 1, ref, wrong), op.name());
        }
    }

    @Test
    void reluKeepsNanAndClearsNegativeZero() {
        float[] x = new float[40];
        x[3] = Float.NaN;
        x[20] = -0f;
        x[21] = -5f;
        x[22] = 7f;
        x[39] = Float.NaN;
        float[] y = new float[x.length];
        ElementwiseKernels.unary(UnaryOp.RELU, x, y, 0, 0);
        float[] expected = new float[x.length];
        expected[3] = Float.NaN;
        expected[22] = 7f;
        expected[39] = Float.NaN;
        assertArrayEquals(expected, y);
        assertArrayEquals(new int[] {Float.floatToIntBits(0f)}, new int[] {Float.floatToIntBits(y[20])});
    }

    // ---- binary over strided operands ------------------------------------------------------------------------

    /** How an operand is laid out over its storage. */
    enum Layout { CONTIGUOUS, INNER_BROADCAST, RANDOM_BROADCAST, TRANSPOSED, OFFSET, SCALAR }

    /** One operand: its storage and the view of it in the output's shape. */
    record Operand(float[] data, int[] strides, int offset) {
        Tensor view(int[] shape) {
            return Tensor.ofStrided(CpuStorage.of(data), shape, strides, offset);
        }

        double at(int[] index) {
            int k = offset;
            for (int d = 0; d < index.length; d++) {
                k += index[d] * strides[d];
            }
            return data[k];
        }
    }

    private static Operand operand(Layout layout, int[] shape, Random rnd) {
        int r = shape.length;
        int[] strides = new int[r];
        int offset = layout == Layout.OFFSET ? 1 + rnd.nextInt(5) : 0;
        int size = 1;
        switch (layout) {
            case CONTIGUOUS, OFFSET -> {
                strides = Shape.contiguousStrides(shape);
                size = Shape.numel(shape);
            }
            case TRANSPOSED -> {
                for (int d = 0; d < r; d++) {
                    strides[d] = size;
                    size *= shape[d];
                }
            }
            case INNER_BROADCAST, RANDOM_BROADCAST -> {
                for (int d = r - 1; d >= 0; d--) {
                    boolean broadcast = layout == Layout.INNER_BROADCAST ? d == r - 1 : rnd.nextBoolean();
                    strides[d] = broadcast ? 0 : size;
                    size *= broadcast ? 1 : shape[d];
                }
            }
            case SCALAR -> {
            }
        }
        return new Operand(data(rnd, offset + size + rnd.nextInt(3)), strides, offset);
    }

    @Property(tries = 400)
    void binaryMatchesF64(@ForAll BinaryOp op, @ForAll Layout layoutA, @ForAll Layout layoutB,
            @ForAll @IntRange(min = 1, max = 4) int rank, @ForAll boolean large, @ForAll long seed) {
        Random rnd = new Random(seed);
        int[] shape = new int[rank];
        for (int d = 0; d < rank; d++) {
            shape[d] = 1 + rnd.nextInt(4);
        }
        shape[rank - 1] = Math.max(1, length(rnd, large) / Shape.numel(shape) * shape[rank - 1]);
        Operand a = operand(layoutA, shape, rnd);
        Operand b = operand(layoutB, shape, rnd);
        if (rnd.nextInt(4) == 0) {
            // Equal operands make EQUAL and GREATER take both answers.
            b = new Operand(a.data(), a.strides(), a.offset());
        }
        Tensor out = Tensor.of(CpuStorage.of(new float[Shape.numel(shape)]), shape);
        ElementwiseKernels.binary(op, out, a.view(shape), b.view(shape));
        assertRounded(op.name().toLowerCase() + " " + layoutA + " x " + layoutB + " " + Shape.format(shape),
                reference(op, shape, a, b), ((CpuStorage) out.storage()).f);
    }

    /** A plain double loop over every multi-index. */
    private static double[] reference(BinaryOp op, int[] shape, Operand a, Operand b) {
        double[] out = new double[Shape.numel(shape)];
        int[] index = new int[shape.length];
        for (int i = 0; i < out.length; i++) {
            double x = a.at(index);
            double y = b.at(index);
            out[i] = switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                case EQUAL -> x == y ? 1 : 0;
                case GREATER -> x > y ? 1 : 0;
            };
            for (int d = shape.length - 1; d >= 0 && ++index[d] == shape[d]; d--) {
                index[d] = 0;
            }
        }
        return out;
    }

    @Test
    void binaryCheckerCatchesOneUlpInABroadcastRow() {
        Random rnd = new Random(5);
        int[] shape = {3, 5, 37};
        Operand x = operand(Layout.CONTIGUOUS, shape, rnd);
        // s[1, 5, 1] seen as [3, 5, 37]: one scalar per row, the channel-broadcast case.
        Operand s = new Operand(data(rnd, 5), new int[] {0, 1, 0}, 0);
        Tensor out = Tensor.of(CpuStorage.of(new float[Shape.numel(shape)]), shape);
        ElementwiseKernels.binary(BinaryOp.MUL, out, x.view(shape), s.view(shape));
        float[] y = ((CpuStorage) out.storage()).f;
        double[] ref = reference(BinaryOp.MUL, shape, x, s);
        assertRounded("mul", ref, y);
        int firstFinite = 0;
        while (!Float.isFinite(y[firstFinite]) || y[firstFinite] == 0) {
            firstFinite++;
        }
        int at = firstFinite;
        assertThrows(AssertionError.class, () -> assertRounded("mul", ref, perturbed(y, at)));
    }
}
