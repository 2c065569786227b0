package dev.graft.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The benchmark's operands and call: op(A)·op(B) with the stored layouts {@link GemmShape} describes. */
class GemmBenchTest {
    @Property(tries = 60)
    void multiplyComputesTheProductOfTheStoredOperands(@ForAll boolean transA, @ForAll boolean transB,
                                                        @ForAll @IntRange(min = 1, max = 40) int m,
                                                        @ForAll @IntRange(min = 1, max = 40) int n,
                                                        @ForAll @IntRange(min = 1, max = 300) int k) {
        GemmBench.Square op = new GemmBench.Square();
        op.allocate(new GemmShape(transA, transB, m, n, k));
        float[] expected = naive(op);
        ConvLayerTest.assertClose(expected, op.multiply().clone());

        float[] wrong = op.multiply().clone();
        wrong[wrong.length - 1] += 1e-2f;
        assertThrows(AssertionError.class, () -> ConvLayerTest.assertClose(expected, wrong));
    }

    /** A triple loop in double reading A and B by their stored layouts. */
    private static float[] naive(GemmBench.Operands op) {
        GemmShape s = op.s;
        float[] c = new float[s.m() * s.n()];
        for (int i = 0; i < s.m(); i++) {
            for (int j = 0; j < s.n(); j++) {
                double sum = 0;
                for (int p = 0; p < s.k(); p++) {
                    double a = s.transA() ? op.a[p * s.m() + i] : op.a[i * s.k() + p];
                    double b = s.transB() ? op.b[j * s.k() + p] : op.b[p * s.n() + j];
                    sum += a * b;
                }
                c[i * s.n() + j] = (float) sum;
            }
        }
        return c;
    }
}
