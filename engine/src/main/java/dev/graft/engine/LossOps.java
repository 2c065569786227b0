package dev.graft.engine;

/**
 * Softmax cross-entropy as one op, so a backend can run it as a fused kernel. The defaults compose it from
 * the elementwise and reduction groups.
 */
public interface LossOps extends ElementwiseOps, ReductionOps {
    /**
     * Per-sample cross entropy of {@code logits [N, C]} (contiguous) against I64 classes {@code target [N]}, with
     * optional class weights {@code weight [C]} and label smoothing {@code s}:
     * {@code loss[n] = (1-s)·w[t]·(-log p[t]) + (s/C)·Σc w[c]·(-log p[c])}, p = softmax(logits[n]), w = 1 without
     * weights. Returns {loss [N], p [N, C], w[t] [N]} (the last is MEAN's denominator, summed by the caller).
     */
    default Tensor[] softmaxCrossEntropy(Tensor logits, Tensor target, Tensor weight, double smoothing) {
        int n = logits.size(0);
        int c = logits.size(1);
        boolean[] rows = {false, true};
        Tensor shifted = binary(BinaryOp.SUB, logits, max(logits, 1)[0].expand(n, c));
        Tensor exp = unary(UnaryOp.EXP, shifted, 0, 0);
        Tensor total = sum(exp, rows);
        Tensor logProbs = binary(BinaryOp.SUB, shifted, unary(UnaryOp.LOG, total, 0, 0).expand(n, c));
        Tensor probs = binary(BinaryOp.DIV, exp, total.expand(n, c));
        Tensor picked = oneHot(target.reshape(n, 1), 1, c, logits.dtype());
        Tensor w = weight == null ? null : weight.reshape(1, c).expand(n, c);
        if (w != null) {
            picked = binary(BinaryOp.MUL, picked, w);
        }
        Tensor loss = unary(UnaryOp.NEG, sum(binary(BinaryOp.MUL, picked, logProbs), rows), 0, 0);
        if (smoothing != 0) {
            Tensor weighted = w == null ? logProbs : binary(BinaryOp.MUL, logProbs, w);
            Tensor smooth = unary(UnaryOp.NEG, sum(weighted, rows), 0, 0);
            loss = binary(BinaryOp.ADD, unary(UnaryOp.AFFINE, loss, 1 - smoothing, 0),
                    unary(UnaryOp.AFFINE, smooth, smoothing / c, 0));
        }
        return new Tensor[] {loss.reshape(n), probs, sum(picked, rows).reshape(n)};
    }

    /**
     * Gradient of {@link #softmaxCrossEntropy}'s loss with respect to the logits, given the incoming per-sample
     * gradient {@code gradLoss [N]} and the saved probabilities:
     * {@code g[n]·((1-s)·w[t]·(p[j] - [j=t]) + (s/C)·(W·p[j] - w[j]))} with W = Σc w[c].
     */
    default Tensor softmaxCrossEntropyBackward(Tensor gradLoss, Tensor probs, Tensor target, Tensor weight,
                                               double smoothing) {
        int n = probs.size(0);
        int c = probs.size(1);
        Tensor mask = oneHot(target.reshape(n, 1), 1, c, probs.dtype());
        Tensor d = binary(BinaryOp.SUB, probs, mask);
        if (weight != null) {
            Tensor w = weight.reshape(1, c).expand(n, c);
            Tensor targetWeight = sum(binary(BinaryOp.MUL, mask, w), new boolean[] {false, true});
            d = binary(BinaryOp.MUL, d, targetWeight.expand(n, c));
        }
        if (smoothing != 0) {
            Tensor spread;
            if (weight == null) {
                spread = unary(UnaryOp.AFFINE, probs, c, -1);
            } else {
                Tensor total = sum(weight, new boolean[] {true}).reshape(1, 1).expand(n, c);
                spread = binary(BinaryOp.SUB, binary(BinaryOp.MUL, probs, total), weight.reshape(1, c).expand(n, c));
            }
            d = binary(BinaryOp.ADD, unary(UnaryOp.AFFINE, d, 1 - smoothing, 0),
                    unary(UnaryOp.AFFINE, spread, smoothing / c, 0));
        }
        return binary(BinaryOp.MUL, d, gradLoss.reshape(n, 1).expand(n, c));
    }
}
