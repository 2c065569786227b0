package dev.graft.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input fails fast with IllegalArgumentException naming the op and the offending shapes or values. */
class BadInputTest {
    private static final int[] ONE = {1, 1};
    private static final int[] ZERO = {0, 0};

    private static void rejects(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message \"" + e.getMessage() + "\" should contain \"" + f + "\"");
        }
    }

    @Test
    void shapeMismatches() {
        rejects(() -> Tensor.zeros(2, 3).add(Tensor.zeros(4)), "add", "[2, 3]", "[4]");
        rejects(() -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)), "matmul", "[2, 3]", "[4, 5]");
        rejects(() -> Tensor.zeros(3).matmul(Tensor.zeros(3, 1)), "matmul", "[3]");
        rejects(() -> Functional.conv2d(Tensor.zeros(1, 3, 8, 8), Tensor.zeros(4, 4, 3, 3), null, ONE, ZERO, ONE, 1),
                "conv2d", "3 channels", "expects 4");
        rejects(() -> Functional.conv2d(Tensor.zeros(1, 3, 8, 8), Tensor.zeros(4, 3, 3, 3), Tensor.zeros(5), ONE, ZERO,
                ONE, 1), "conv2d", "bias", "[5]");
        rejects(() -> Functional.conv2d(Tensor.zeros(3, 8, 8), Tensor.zeros(4, 3, 3, 3), null, ONE, ZERO, ONE, 1),
                "conv2d", "4-D", "[3, 8, 8]");
        rejects(() -> Functional.conv2d(Tensor.zeros(1, 3, 2, 2), Tensor.zeros(4, 3, 3, 3), null, ONE, ZERO, ONE, 1),
                "conv2d", "smaller than the dilated kernel");
        rejects(() -> Functional.linear(Tensor.zeros(2, 5), Tensor.zeros(3, 4), null), "linear", "[2, 5]", "expects 4");
        rejects(() -> Functional.batchNorm(Tensor.zeros(2, 3, 4, 4), null, null, Tensor.zeros(4), null, true, 0.1, 1e-5),
                "batch_norm", "[4]", "3 channels");
        rejects(() -> Tensor.cat(0, Tensor.zeros(2, 3), Tensor.zeros(2, 4)), "cat", "[2, 4]");
        rejects(() -> Tensor.zeros(2, 3).view(4, 2), "view", "[4, 2]", "6 elements");
        rejects(() -> Tensor.zeros(2, 3).t().view(6), "view", "not contiguous");
        rejects(() -> Tensor.zeros(2, 3).expand(4, 3), "expand", "[2, 3]", "[4, 3]");
        rejects(() -> Tensor.zeros(2, 3).permute(0, 0), "permute", "repeated");
        rejects(() -> Tensor.zeros(2, 3).select(1, 3), "select", "index 3", "size 3");
        rejects(() -> Tensor.zeros(2, 3).sum(2, false), "sum", "dimension 2");
        rejects(() -> Tensor.of(new float[] {1, 2, 3}, 2, 2), "3 values", "[2, 2]");
    }

    @Test
    void groupsMustDivideChannels() {
        rejects(() -> Functional.conv2d(Tensor.zeros(1, 3, 8, 8), Tensor.zeros(4, 1, 3, 3), null, ONE, ZERO, ONE, 2),
                "conv2d", "input channels 3", "groups 2");
        rejects(() -> Functional.conv2d(Tensor.zeros(1, 4, 8, 8), Tensor.zeros(3, 2, 3, 3), null, ONE, ZERO, ONE, 2),
                "conv2d", "output channels 3", "groups 2");
    }

    @Test
    void nonPositiveSizes() {
        rejects(() -> Tensor.zeros(2, -1), "[2, -1]", "negative");
        rejects(() -> Functional.conv2d(Tensor.zeros(1, 1, 4, 4), Tensor.zeros(1, 1, 3, 3), null, new int[] {0, 1}, ZERO,
                ONE, 1), "conv2d", "stride", "[0, 1]");
        rejects(() -> Functional.conv2d(Tensor.zeros(1, 1, 4, 4), Tensor.zeros(1, 1, 3, 3), null, ONE, new int[] {-1, 0},
                ONE, 1), "conv2d", "padding", "[-1, 0]");
        rejects(() -> Functional.conv2d(Tensor.zeros(1, 1, 4, 4), Tensor.zeros(1, 1, 3, 3), null, ONE, ZERO, ONE, 0),
                "conv2d", "groups", "0");
        rejects(() -> Functional.maxPool2d(Tensor.zeros(1, 1, 4, 4), new int[] {0, 2}, null, ZERO), "max_pool2d",
                "kernel", "[0, 2]");
        rejects(() -> Functional.avgPool2d(Tensor.zeros(1, 1, 4, 4), new int[] {2, 2}, new int[] {2, 0}, ZERO, true),
                "avg_pool2d", "stride", "[2, 0]");
        rejects(() -> Functional.maxPool2d(Tensor.zeros(1, 1, 4, 4), new int[] {2, 2}, null, new int[] {2, 2}),
                "max_pool2d", "padding", "half the kernel");
        rejects(() -> Functional.maxPool2d(Tensor.zeros(1, 1, 2, 2), new int[] {3, 3}, null, ZERO), "max_pool2d",
                "smaller than the kernel");
        rejects(() -> Functional.conv2d(Tensor.zeros(1, 1, 6, 6), Tensor.zeros(1, 1, 3, 3), null, new int[] {2, 2}, ZERO,
                new int[] {3, 3}, 1), "conv2d", "smaller than the dilated kernel");
        rejects(() -> Functional.adaptiveAvgPool2d(Tensor.zeros(1, 1, 4, 4), 0, 2), "adaptive_avg_pool2d", "[0, 2]");
        rejects(() -> Tensor.zeros(6).reshape(-2, 3), "reshape", "-2");
        rejects(() -> Tensor.zeros(6).slice(0, 0, 6, 0), "slice", "step");
        rejects(() -> Functional.dropout(Tensor.zeros(3), 1.5, true, new Generator(1)), "dropout", "1.5");
        rejects(() -> Tensor.arange(0, 5, 0), "arange", "step=0.0");
    }

    @Test
    void backwardNeedsAScalarOrAGradient() {
        Tensor x = Tensor.ones(2, 3).requiresGrad(true);
        rejects(() -> x.mul(2).backward(), "backward", "[2, 3]", "not a scalar");
        rejects(() -> x.mul(2).backward(Tensor.ones(3, 2)), "backward", "[3, 2]", "[2, 3]");
        rejects(() -> Tensor.ones(2).sum().backward(), "backward", "does not require grad");
    }

    @Test
    void dtypeMismatches() {
        Tensor f32 = Tensor.ones(2);
        Tensor f64 = Tensor.ones(2).to(DType.F64);
        rejects(() -> f32.add(f64), "add", "F32", "F64");
        rejects(() -> f32.matmul(f64), "matmul", "F32", "F64");
        rejects(() -> Functional.conv2d(Tensor.zeros(1, 1, 3, 3), Tensor.zeros(1, 1, 3, 3).to(DType.F64), null, ONE, ZERO,
                ONE, 1), "conv2d", "F32", "F64");
        rejects(() -> f32.requiresGrad(true).mul(2).sum().backward(Tensor.ones(1).to(DType.F64).reshape()),
                "backward", "F64");
        rejects(() -> Tensor.ofLongs(new long[] {1, 2}, 2).exp(), "exp", "I64");
        rejects(() -> Tensor.ofLongs(new long[] {1}, 1).requiresGrad(true), "requiresGrad", "I64");
        rejects(() -> Functional.crossEntropy(Tensor.zeros(2, 3), Tensor.zeros(2), null, 0, Reduction.MEAN),
                "cross_entropy", "I64", "F32");
    }

    @Test
    void lossArguments() {
        Tensor logits = Tensor.zeros(2, 3);
        rejects(() -> Functional.crossEntropy(logits, Tensor.ofLongs(new long[] {0, 3}, 2), null, 0, Reduction.MEAN),
                "cross_entropy", "class 3", "[0, 3)");
        rejects(() -> Functional.crossEntropy(logits, Tensor.ofLongs(new long[] {0}, 1), null, 0, Reduction.MEAN),
                "cross_entropy", "[2]", "[1]");
        rejects(() -> Functional.crossEntropy(logits, Tensor.ofLongs(new long[] {0, 1}, 2), Tensor.ones(4), 0,
                Reduction.MEAN), "cross_entropy", "weight", "[4]", "3 classes");
        rejects(() -> Functional.crossEntropy(logits, Tensor.ofLongs(new long[] {0, 1}, 2), null, 1.5, Reduction.MEAN),
                "cross_entropy", "label smoothing", "1.5");
        rejects(() -> Functional.nllLoss(Tensor.zeros(2, 3, 4), Tensor.ofLongs(new long[] {0, 1}, 2), null,
                Reduction.SUM), "nll_loss", "2-D", "[2, 3, 4]");
    }

    /** Functional hands the kernels dense gradients; a caller of the backend that does not is told so, not misread. */
    @Test
    void backendBackwardRejectsAStridedIncomingGradient() {
        Backend cpu = Backends.cpu();
        PoolGeometry g = PoolGeometry.of("avg_pool2d", new int[] {1, 2, 4, 4}, new int[] {2, 2}, new int[] {2, 2}, ZERO);
        Tensor transposed = Tensor.ones(1, 2, 2, 2).transpose(2, 3);
        Tensor shifted = Tensor.ones(3, 2, 2, 2).narrow(0, 1, 1);
        Tensor broadcast = Tensor.ones(1, 1, 2, 2).expand(1, 2, 2, 2);
        for (Tensor grad : new Tensor[] {transposed, shifted, broadcast}) {
            rejects(() -> cpu.avgPool2dBackward(grad, g, true), "avg_pool2d backward", "must be dense",
                    "strides " + Shape.format(grad.strides()), "offset " + grad.offset());
        }
        rejects(() -> cpu.maxPool2dBackward(transposed, Tensor.zeros(DType.I64, 1, 2, 2, 2), g), "max_pool2d backward",
                "must be dense");
    }
}
