package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.graft.engine.Backends;
import dev.graft.engine.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The host-rounded scalars, run through a Java replay of optimizers.cu's per-element float operations (Java
 * float arithmetic rounds every operation, as the kernels' __fmul_rn/__fadd_rn do), give bitwise the CPU
 * backend's fused updates over several steps.
 */
class OptimizerScalarsTest {

    /** graft_sgd_f32 on one tensor. */
    static void sgdKernel(float[] p, float[] g, float[] b, OptimizerScalars.Sgd s, boolean firstStep,
                          boolean nesterov) {
        for (int i = 0; i < p.length; i++) {
            float pv = p[i];
            float d = g[i];
            if (s.weightDecay() != 0.0f) {
                d = d + pv * s.weightDecay();
            }
            float step = d;
            if (b != null) {
                float bv = firstStep ? d : b[i] * s.momentum() + d * s.keep();
                b[i] = bv;
                step = nesterov ? d + bv * s.momentum() : bv;
            }
            p[i] = pv - step * s.lr();
        }
    }

    /** graft_adam_f32 on one tensor. */
    static void adamKernel(float[] p, float[] g, float[] m, float[] v, OptimizerScalars.Adam s) {
        for (int i = 0; i < p.length; i++) {
            float pv = p[i];
            float gv = g[i];
            if (s.decay() != 0 && s.decoupled() != 0) {
                pv = pv * s.shrink();
            } else if (s.decay() != 0) {
                gv = gv + pv * s.weightDecay();
            }
            float mv = m[i] * s.b1() + gv * s.c1();
            float vv = v[i] * s.b2() + gv * gv * s.c2();
            m[i] = mv;
            v[i] = vv;
            float denom = (float) Math.sqrt(vv) * s.invSqrtBc2() + s.eps();
            p[i] = pv - mv / denom * s.stepSize();
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    @Property(tries = 40)
    void sgdMatchesTheCpuBitwise(@ForAll long seed, @ForAll boolean nesterov, @ForAll boolean decay,
                                 @ForAll boolean dampen) {
        Random rnd = new Random(seed);
        int n = 1 + rnd.nextInt(300);
        double lr = 0.01 + rnd.nextDouble() * 0.3;
        double wd = decay ? 1e-4 + rnd.nextDouble() * 1e-2 : 0;
        double momentum = 0.9;
        double dampening = nesterov || !dampen ? 0 : 0.1 + rnd.nextDouble() * 0.5;
        float[] p = random(rnd, n);
        float[] b = new float[n];
        Tensor cpuP = Tensor.of(p.clone(), n);
        Tensor cpuB = Tensor.of(new float[n], n);
        for (int step = 1; step <= 3; step++) {
            float[] g = random(rnd, n);
            Backends.cpu().sgdStep(List.of(cpuP), List.of(Tensor.of(g.clone(), n)), List.of(cpuB),
                    new boolean[] {step == 1}, lr, wd, momentum, dampening, nesterov);
            sgdKernel(p, g, b, OptimizerScalars.Sgd.of(lr, wd, momentum, dampening), step == 1, nesterov);
            assertArrayEquals(cpuP.toFloatArray(), p, "parameters after step " + step);
            assertArrayEquals(cpuB.toFloatArray(), b, "momentum after step " + step);
        }
    }

    @Property(tries = 40)
    void adamMatchesTheCpuBitwise(@ForAll long seed, @ForAll boolean decoupled, @ForAll boolean decay) {
        Random rnd = new Random(seed);
        int n = 1 + rnd.nextInt(300);
        double lr = 1e-4 + rnd.nextDouble() * 1e-2;
        double wd = decay ? 1e-3 + rnd.nextDouble() * 0.1 : 0;
        double beta1 = 0.8 + rnd.nextDouble() * 0.15;
        double beta2 = 0.99 + rnd.nextDouble() * 0.009;
        double eps = 1e-8;
        float[] p = random(rnd, n);
        float[] m = new float[n];
        float[] v = new float[n];
        Tensor cpuP = Tensor.of(p.clone(), n);
        Tensor cpuM = Tensor.of(new float[n], n);
        Tensor cpuV = Tensor.of(new float[n], n);
        for (int step = 1; step <= 3; step++) {
            float[] g = random(rnd, n);
            Backends.cpu().adamStep(List.of(cpuP), List.of(Tensor.of(g.clone(), n)), List.of(cpuM), List.of(cpuV),
                    new long[] {step}, lr, wd, decoupled, beta1, beta2, eps);
            adamKernel(p, g, m, v, OptimizerScalars.Adam.of(lr, wd, decoupled, beta1, beta2, eps, step));
            assertArrayEquals(cpuP.toFloatArray(), p, "parameters after step " + step);
            assertArrayEquals(cpuM.toFloatArray(), m, "first moment after step " + step);
            assertArrayEquals(cpuV.toFloatArray(), v, "second moment after step " + step);
        }
    }

    @Test
    void theBitwiseCheckCatchesAScalarOneUlpOff() {
        Random rnd = new Random(3);
        int n = 200;
        float[] p = random(rnd, n);
        float[] g = random(rnd, n);
        Tensor cpuP = Tensor.of(p.clone(), n);
        Backends.cpu().adamStep(List.of(cpuP), List.of(Tensor.of(g.clone(), n)), List.of(Tensor.of(new float[n], n)),
                List.of(Tensor.of(new float[n], n)), new long[] {1}, 1e-3, 0, true, 0.9, 0.999, 1e-8);
        OptimizerScalars.Adam s = OptimizerScalars.Adam.of(1e-3, 0, true, 0.9, 0.999, 1e-8, 1);
        OptimizerScalars.Adam off = new OptimizerScalars.Adam(s.decay(), s.decoupled(), s.shrink(), s.weightDecay(),
                s.b1(), s.b2(), s.c1(), s.c2(), s.invSqrtBc2(), s.eps(), Math.nextUp(s.stepSize()));
        adamKernel(p, g, new float[n], new float[n], off);
        assertFalse(Arrays.equals(cpuP.toFloatArray(), p));
    }
}
