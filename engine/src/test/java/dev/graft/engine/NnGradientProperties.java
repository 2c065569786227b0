package dev.graft.engine;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import static dev.graft.engine.GradCheck.assertGradients;
import static dev.graft.engine.GradCheck.leaf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import org.junit.jupiter.api.Tag;

/**
 * Finite-difference checks (F64) of the neural-network ops through {@link Functional}: convolution with
 * stride/padding/dilation/groups, batch norm in both modes, pooling, linear, dropout, softmax and the losses,
 * and a residual block in train mode. Each check also hands the op's backward an incoming gradient at an
 * offset, permuted and broadcast ({@link GradCheck.Seed}), as a transpose, slice or sum after the op does.
 */
@Tag("backend")
class NnGradientProperties {

    /** One spatial axis of a convolution: kernel size, stride, padding, dilation, and input beyond the minimum. */
    record Axis(int kernel, int stride, int padding, int dilation, int extra) {
        /** The input size: the smallest the dilated kernel fits in after padding, plus {@code extra}. */
        int size() {
            return Math.max(1, dilation * (kernel - 1) + 1 - 2 * padding) + extra;
        }
    }

    @Provide
    Arbitrary<Axis> axis() {
        return Combinators.combine(Arbitraries.of(1, 2, 3, 5), Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(0, 2), Arbitraries.integers().between(1, 2),
                Arbitraries.integers().between(0, 3)).as(Axis::new);
    }

    /** Height and width drawn independently: kernel, stride, padding and dilation may all differ between them. */
    @Property(tries = 30)
    void conv2d(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 2) int groups,
                @ForAll @IntRange(min = 1, max = 2) int inPerGroup, @ForAll @IntRange(min = 1, max = 2) int outPerGroup,
                @ForAll("axis") Axis height, @ForAll("axis") Axis width, @ForAll boolean bias,
                @ForAll @IntRange(min = 0, max = 999) int seed) {
        assertConvGradients(batch, groups * inPerGroup, groups * outPerGroup, groups, height, width, bias, seed);
    }

    private static void assertConvGradients(int batch, int c, int o, int groups, Axis height, Axis width, boolean bias,
                                            int seed) {
        Tensor x = leaf(seed, 1, 0, batch, c, height.size(), width.size());
        Tensor weight = leaf(seed + 1, 0.5, 0, o, c / groups, height.kernel(), width.kernel());
        Tensor b = bias ? leaf(seed + 2, 1, 0, o) : null;
        int[] s = {height.stride(), width.stride()};
        int[] p = {height.padding(), width.padding()};
        int[] d = {height.dilation(), width.dilation()};
        String what = "conv2d " + Shape.format(x.shape()) + " * " + Shape.format(weight.shape()) + " stride "
                + Shape.format(s) + " padding " + Shape.format(p) + " dilation " + Shape.format(d) + " groups " + groups;
        if (bias) {
            assertGradients(what, t -> Functional.conv2d(t[0], t[1], t[2], s, p, d, groups), x, weight, b);
        } else {
            assertGradients(what, t -> Functional.conv2d(t[0], t[1], null, s, p, d, groups), x, weight);
        }
    }

    /** ResNet's downsampling geometry (3x3, stride 2, padding 1) on odd and even sizes, grouped and depthwise. */
    @Example
    void strided3x3ConvWithGroupsAndDepthwise() {
        Axis odd = new Axis(3, 2, 1, 1, 4);
        Axis even = new Axis(3, 2, 1, 1, 3);
        assertConvGradients(2, 4, 6, 2, odd, even, true, 31);
        assertConvGradients(2, 4, 4, 4, odd, even, false, 32);
        assertConvGradients(1, 3, 6, 3, even, odd, true, 33);
    }

    /** Every hyper-parameter differs between height and width, so swapping the two axes anywhere shows. */
    @Example
    void convWithDifferentHeightAndWidthHyperParameters() {
        Axis tall = new Axis(3, 2, 1, 1, 2);
        Axis narrow = new Axis(2, 1, 0, 2, 1);
        assertConvGradients(2, 2, 3, 1, tall, narrow, true, 41);
        assertConvGradients(1, 2, 2, 2, narrow, tall, false, 42);
    }

    @Property(tries = 20)
    void batchNormTrainAndEval(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 3) int c,
                               @ForAll @IntRange(min = 1, max = 3) int h, @ForAll @IntRange(min = 2, max = 3) int w,
                               @ForAll boolean affine, @ForAll @IntRange(min = 0, max = 999) int seed) {
        Tensor x = leaf(seed, 2, 0.5, batch, c, h, w);
        Tensor weight = affine ? leaf(seed + 1, 0.5, 1, c) : null;
        Tensor bias = affine ? leaf(seed + 2, 1, 0, c) : null;
        Tensor mean = TestBackend.on(Tensor.randn(new Generator(seed + 3), c).to(DType.F64));
        Tensor var = TestBackend.on(Tensor.rand(new Generator(seed + 4), c).to(DType.F64).add(0.5));
        if (affine) {
            assertGradients("batch_norm train", t -> Functional.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5),
                    x, weight, bias);
            assertGradients("batch_norm eval", t -> Functional.batchNorm(t[0], mean, var, t[1], t[2], false, 0.1, 1e-5),
                    x, weight, bias);
        } else {
            assertGradients("batch_norm train", t -> Functional.batchNorm(t[0], null, null, null, null, true, 0.1, 1e-5), x);
            assertGradients("batch_norm eval", t -> Functional.batchNorm(t[0], mean, var, null, null, false, 0.1, 1e-5), x);
        }
    }

    /** The option-A shortcut against its definition (slice every other row and column, pad channels), and its gradient. */
    @Property(tries = 20)
    void subsamplePadChannels(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 3) int c,
                              @ForAll @IntRange(min = 1, max = 5) int h, @ForAll @IntRange(min = 1, max = 5) int w,
                              @ForAll @IntRange(min = 0, max = 2) int pad, @ForAll @IntRange(min = 0, max = 999) int seed) {
        Tensor x = leaf(seed, 1, 0, batch, c, h, w);
        Tensor expected = x.slice(2, 0, h, 2).slice(3, 0, w, 2).pad(new int[] {0, 0, 0, 0, pad, pad}, 0);
        Tensor actual = Functional.subsamplePadChannels(x, pad);
        assertArrayEquals(expected.shape(), actual.shape());
        assertArrayEquals(expected.toDoubleArray(), actual.toDoubleArray());
        assertGradients("subsample_pad_channels", t -> Functional.subsamplePadChannels(t[0], pad), x);
    }

    @Property(tries = 25)
    void pooling(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 2) int c,
                 @ForAll @IntRange(min = 1, max = 4) int kernel, @ForAll @IntRange(min = 1, max = 3) int stride,
                 @ForAll @IntRange(min = 0, max = 2) int padding, @ForAll @IntRange(min = 0, max = 4) int extra,
                 @ForAll boolean countIncludePad, @ForAll @IntRange(min = 0, max = 999) int seed) {
        int pad = Math.min(padding, kernel / 2);
        int h = kernel + extra;
        int w = kernel + (extra + 2) % 5;
        Tensor x = leaf(seed, 1, 0, batch, c, h, w);
        int[] k = {kernel, kernel};
        int[] s = {stride, stride};
        int[] p = {pad, pad};
        assertGradients("max_pool2d", t -> Functional.maxPool2d(t[0], k, s, p), x);
        assertGradients("avg_pool2d", t -> Functional.avgPool2d(t[0], k, s, p, countIncludePad), x);
        assertGradients("adaptive_avg_pool2d", t -> Functional.adaptiveAvgPool2d(t[0], Math.max(1, h / 2), 1 + extra % 3), x);
        assertGradients("adaptive_avg_pool2d 1x1", t -> Functional.adaptiveAvgPool2d(t[0], 1, 1), x);
    }

    @Property(tries = 20)
    void linearAndDropout(@ForAll @IntRange(min = 1, max = 4) int batch, @ForAll @IntRange(min = 1, max = 5) int in,
                          @ForAll @IntRange(min = 1, max = 4) int out, @ForAll @IntRange(min = 0, max = 999) int seed) {
        Tensor x = leaf(seed, 1, 0, batch, in);
        Tensor w = leaf(seed + 1, 1, 0, out, in);
        Tensor b = leaf(seed + 2, 1, 0, out);
        assertGradients("linear", t -> Functional.linear(t[0], t[1], t[2]), x, w, b);
        assertGradients("linear 3-D input", t -> Functional.linear(t[0].reshape(1, batch, in), t[1], null), x, w);
        assertGradients("dropout", t -> Functional.dropout(t[0], 0.4, true, new Generator(seed)), x);
    }

    @Property(tries = 20)
    void softmaxAndLosses(@ForAll @IntRange(min = 1, max = 5) int n, @ForAll @IntRange(min = 2, max = 6) int classes,
                          @ForAll @IntRange(min = 0, max = 2) int reductionIndex, @ForAll boolean weighted,
                          @ForAll @IntRange(min = 0, max = 3) int smoothingTenths, @ForAll @IntRange(min = 0, max = 999) int seed) {
        Tensor logits = leaf(seed, 2, 0, n, classes);
        long[] labels = new long[n];
        Generator g = new Generator(seed + 1);
        for (int i = 0; i < n; i++) {
            labels[i] = g.nextInt(classes);
        }
        Tensor target = TestBackend.on(Tensor.ofLongs(labels, n));
        Tensor weight = weighted ? TestBackend.on(Tensor.rand(new Generator(seed + 2), classes).to(DType.F64).add(0.5)) : null;
        Reduction reduction = Reduction.values()[reductionIndex];
        double smoothing = smoothingTenths / 10.0;
        assertGradients("softmax", t -> Functional.softmax(t[0], 1), logits);
        assertGradients("log_softmax dim 0", t -> Functional.logSoftmax(t[0], 0), logits);
        assertGradients("cross_entropy", t -> Functional.crossEntropy(t[0], target, weight, smoothing, reduction), logits);
        assertGradients("nll_loss", t -> Functional.nllLoss(Functional.logSoftmax(t[0], 1), target, weight, reduction),
                logits);
    }

    /**
     * Class weights and label smoothing together under MEAN, where both the picked and the smoothed terms divide
     * by the targets' summed weights: the gradient as above, and the value against PyTorch's definition in F64.
     */
    @Example
    void weightedLabelSmoothedCrossEntropyWithMean() {
        softmaxAndLosses(4, 5, Reduction.MEAN.ordinal(), true, 2, 51);
        int n = 4;
        int classes = 5;
        double smoothing = 0.2;
        Tensor logits = leaf(7, 2, 0, n, classes);
        long[] labels = {3, 0, 3, 4};
        double[] w = {0.5, 1.25, 0.75, 2.0, 1.5};
        Tensor weight = TestBackend.on(Tensor.of(w, classes));
        double[] z = logits.toDoubleArray();
        double picked = 0;
        double smooth = 0;
        double weightSum = 0;
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, z[i * classes + c]);
            }
            double sumExp = 0;
            for (int c = 0; c < classes; c++) {
                sumExp += Math.exp(z[i * classes + c] - max);
            }
            double logSumExp = max + Math.log(sumExp);
            int y = (int) labels[i];
            picked += w[y] * (logSumExp - z[i * classes + y]);
            weightSum += w[y];
            for (int c = 0; c < classes; c++) {
                smooth += w[c] * (logSumExp - z[i * classes + c]);
            }
        }
        double expected = ((1 - smoothing) * picked + smoothing / classes * smooth) / weightSum;
        Tensor target = TestBackend.on(Tensor.ofLongs(labels, n));
        double actual = Functional.crossEntropy(logits, target, weight, smoothing, Reduction.MEAN).item();
        assertEquals(expected, actual, 1e-12 * Math.abs(expected));
        assertGradients("weighted smoothed cross_entropy mean",
                t -> Functional.crossEntropy(t[0], target, weight, smoothing, Reduction.MEAN), logits);
    }

    /** conv-bn-relu-conv-bn + shortcut (a strided 1x1 conv-bn when shapes change) + relu, train mode. */
    @Property(tries = 8)
    void residualBlockInTrainMode(@ForAll @IntRange(min = 1, max = 2) int stride,
                                  @ForAll @IntRange(min = 0, max = 999) int seed) {
        int c = 2;
        int out = stride == 1 ? 2 : 3;
        Tensor x = leaf(seed, 1, 0, 2, c, 5, 5);
        Tensor w1 = leaf(seed + 1, 0.5, 0, out, c, 3, 3);
        Tensor w2 = leaf(seed + 2, 0.5, 0, out, out, 3, 3);
        Tensor g1 = leaf(seed + 3, 0.3, 1, out);
        Tensor b1 = leaf(seed + 4, 0.3, 0, out);
        Tensor g2 = leaf(seed + 5, 0.3, 1, out);
        Tensor b2 = leaf(seed + 6, 0.3, 0, out);
        Tensor wd = leaf(seed + 7, 0.5, 0, out, c, 1, 1);
        int[] one = {1, 1};
        int[] zero = {0, 0};
        int[] s = {stride, stride};
        assertGradients("residual block", t -> {
            Tensor h = Functional.conv2d(t[0], t[1], null, s, one, one, 1);
            h = Functional.batchNorm(h, null, null, t[3], t[4], true, 0.1, 1e-5).relu();
            h = Functional.conv2d(h, t[2], null, one, one, one, 1);
            h = Functional.batchNorm(h, null, null, t[5], t[6], true, 0.1, 1e-5);
            Tensor shortcut = stride == 1 ? t[0]
                    : Functional.batchNorm(Functional.conv2d(t[0], t[7], null, s, zero, one, 1), null, null, null, null,
                            true, 0.1, 1e-5);
            return h.add(shortcut).relu();
        }, x, w1, w2, g1, b1, g2, b2, wd);
    }
}
