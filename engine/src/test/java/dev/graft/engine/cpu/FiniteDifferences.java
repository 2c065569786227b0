package dev.graft.engine.cpu;

import java.util.Random;
import java.util.function.ToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Central finite differences over plain double arrays, shared by the kernel tests. */
final class FiniteDifferences {
    static final double GRAD_TOL = 1e-6;

    private FiniteDifferences() {
    }

    static double[] numericGradient(double[] x, double step, ToDoubleFunction<double[]> loss) {
        double[] grad = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double saved = x[i];
            x[i] = saved + step;
            double up = loss.applyAsDouble(x);
            x[i] = saved - step;
            double down = loss.applyAsDouble(x);
            x[i] = saved;
            grad[i] = (up - down) / (2 * step);
        }
        return grad;
    }

    /** Largest deviation, relative to the gradient's scale (at least 1). */
    static double gradientError(double[] analytic, double[] numeric) {
        double scale = 1;
        double worst = 0;
        for (int i = 0; i < numeric.length; i++) {
            scale = Math.max(scale, Math.abs(numeric[i]));
            worst = Math.max(worst, Math.abs(analytic[i] - numeric[i]));
        }
        return worst / scale;
    }

    /** Asserts agreement, then that the same comparison rejects the gradient with one element off by 10x tol. */
    static void assertGradient(double[] analytic, double[] numeric, Random rnd) {
        double error = gradientError(analytic, numeric);
        assertTrue(error <= GRAD_TOL, "gradient error " + error);
        double scale = 1;
        for (double v : numeric) {
            scale = Math.max(scale, Math.abs(v));
        }
        double[] wrong = analytic.clone();
        wrong[rnd.nextInt(wrong.length)] += 10 * GRAD_TOL * scale;
        assertTrue(gradientError(wrong, numeric) > GRAD_TOL, "the check missed a wrong gradient");
    }
}
