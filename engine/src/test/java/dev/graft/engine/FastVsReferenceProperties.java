package dev.graft.engine;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.function.Function;

/**
 * The F32 fast kernels against the F64 reference kernels on the same random data: forward values and the
 * gradients of every input agree within F32 rounding (relative to the tensor's magnitude).
 */
class FastVsReferenceProperties {
    private static final double TOL = 2e-5;

    /** Runs {@code f} in F64 and in F32 on the same values and compares the output and all input gradients. */
    private static void agree(String what, Function<Tensor[], Tensor> f, Tensor... f64Inputs) {
        Tensor[] f32Inputs = new Tensor[f64Inputs.length];
        for (int i = 0; i < f64Inputs.length; i++) {
            f32Inputs[i] = f64Inputs[i].detach().to(DType.F32).requiresGrad(true);
            f64Inputs[i] = f64Inputs[i].detach().to(DType.F32).to(DType.F64).requiresGrad(true);
        }
        Tensor ref = f.apply(f64Inputs);
        Tensor fast = f.apply(f32Inputs);
        Tensor weights = Tensor.randn(new Generator(ref.numel()), ref.shape());
        ref.mul(weights.to(DType.F64)).sum().backward();
        fast.mul(weights).sum().backward();
        close(what + " output", ref, fast);
        for (int i = 0; i < f64Inputs.length; i++) {
            close(what + " grad of input " + i, f64Inputs[i].grad(), f32Inputs[i].grad());
        }
    }

    private static void close(String what, Tensor ref, Tensor fast) {
        double[] r = ref.toDoubleArray();
        double[] f = fast.toDoubleArray();
        double scale = 1;
        for (double v : r) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < r.length; i++) {
            if (!(Math.abs(r[i] - f[i]) <= TOL * scale)) {
                throw new AssertionError(what + " differs at " + i + ": F64 " + r[i] + " F32 " + f[i] + " (scale " + scale + ")");
            }
        }
    }

    @Property(tries = 30)
    void conv2d(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 3) int groups,
                @ForAll @IntRange(min = 1, max = 4) int inPerGroup, @ForAll @IntRange(min = 1, max = 4) int outPerGroup,
                @ForAll @IntRange(min = 0, max = 2) int kernelChoice, @ForAll @IntRange(min = 1, max = 2) int stride,
                @ForAll @IntRange(min = 0, max = 3) int padding, @ForAll @IntRange(min = 1, max = 2) int dilation,
                @ForAll @IntRange(min = 0, max = 9) int extra, @ForAll @IntRange(min = 0, max = 999) int seed) {
        int k = new int[] {1, 3, 7}[kernelChoice];
        int span = dilation * (k - 1) + 1;
        int h = Math.max(1, span - 2 * padding) + extra;
        int w = Math.max(1, span - 2 * padding) + (extra * 7) % 10;
        Tensor x = GradCheck.leaf(seed, 1, 0, batch, groups * inPerGroup, h, w);
        Tensor weight = GradCheck.leaf(seed + 1, 0.3, 0, groups * outPerGroup, inPerGroup, k, k);
        Tensor bias = GradCheck.leaf(seed + 2, 1, 0, groups * outPerGroup);
        int[] s = {stride, stride};
        int[] p = {padding, padding};
        int[] d = {dilation, dilation};
        agree("conv2d", t -> Functional.conv2d(t[0], t[1], t[2], s, p, d, groups), x, weight, bias);
    }

    @Property(tries = 20)
    void matmulAndLinear(@ForAll @IntRange(min = 1, max = 40) int m, @ForAll @IntRange(min = 1, max = 40) int k,
                         @ForAll @IntRange(min = 1, max = 40) int n, @ForAll @IntRange(min = 0, max = 999) int seed) {
        Tensor a = GradCheck.leaf(seed, 1, 0, m, k);
        Tensor b = GradCheck.leaf(seed + 1, 1, 0, k, n);
        Tensor bias = GradCheck.leaf(seed + 2, 1, 0, n);
        agree("matmul", t -> t[0].matmul(t[1]), a, b);
        agree("linear", t -> Functional.linear(t[0], t[1].t(), t[2]), a, b, bias);
    }

    @Property(tries = 20)
    void poolingAndBatchNorm(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 4) int c,
                             @ForAll @IntRange(min = 1, max = 3) int kernel, @ForAll @IntRange(min = 1, max = 2) int stride,
                             @ForAll @IntRange(min = 0, max = 6) int extra, @ForAll @IntRange(min = 0, max = 999) int seed) {
        int h = kernel + extra + 1;
        int w = kernel + (extra * 3) % 7 + 1;
        Tensor x = GradCheck.leaf(seed, 2, 1, batch, c, h, w);
        Tensor gamma = GradCheck.leaf(seed + 1, 0.5, 1, c);
        Tensor beta = GradCheck.leaf(seed + 2, 0.5, 0, c);
        int[] k = {kernel, kernel};
        int[] s = {stride, stride};
        int[] p = {kernel / 2, kernel / 2};
        agree("max_pool2d", t -> Functional.maxPool2d(t[0], k, s, p), x);
        agree("avg_pool2d", t -> Functional.avgPool2d(t[0], k, s, p, false), x);
        agree("adaptive_avg_pool2d", t -> Functional.adaptiveAvgPool2d(t[0], 2, 3), x);
        agree("batch_norm", t -> Functional.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5), x, gamma, beta);
        agree("cross_entropy", t -> Functional.crossEntropy(t[0].flatten(1), Tensor.ofLongs(new long[batch], batch), null,
                0.1, Reduction.MEAN), x);
    }
}
