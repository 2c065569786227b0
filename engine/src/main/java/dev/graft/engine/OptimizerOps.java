package dev.graft.engine;

import java.util.List;

/**
 * In-place optimizer updates over a list of parameters, so that a backend can update many tensors in one
 * pass (one launch on a GPU). The defaults compose elementwise ops and copy the results into place.
 */
public interface OptimizerOps extends MemoryOps, ElementwiseOps {
    /**
     * torch.optim.SGD's update of each {@code params[i]} by {@code grads[i]}: weight decay folded into the
     * gradient, momentum buffer {@code buffers[i]} (null entries when momentum is 0) set to the gradient on a
     * parameter's first step, dampening and Nesterov as in PyTorch.
     */
    default void sgdStep(List<Tensor> params, List<Tensor> grads, List<Tensor> buffers, boolean[] firstStep,
                         double lr, double weightDecay, double momentum, double dampening, boolean nesterov) {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor d = grads.get(i);
            if (weightDecay != 0) {
                d = binary(BinaryOp.ADD, d, unary(UnaryOp.AFFINE, p, weightDecay, 0));
            }
            if (momentum != 0) {
                Tensor buf = buffers.get(i);
                copy(firstStep[i] ? d : binary(BinaryOp.ADD, unary(UnaryOp.AFFINE, buf, momentum, 0),
                        unary(UnaryOp.AFFINE, d, 1 - dampening, 0)), buf);
                d = nesterov ? binary(BinaryOp.ADD, d, unary(UnaryOp.AFFINE, buf, momentum, 0)) : buf;
            }
            copy(binary(BinaryOp.SUB, p, unary(UnaryOp.AFFINE, d, lr, 0)), p);
        }
    }

    /**
     * torch.optim.Adam's ({@code decoupledDecay} false) or AdamW's update of each parameter with its moment
     * buffers {@code expAvgs[i]}, {@code expAvgSqs[i]}; {@code steps[i]} is the parameter's step count including
     * this one.
     */
    default void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs,
                          long[] steps, double lr, double weightDecay, boolean decoupledDecay, double beta1,
                          double beta2, double eps) {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor g = grads.get(i);
            if (weightDecay != 0) {
                if (decoupledDecay) {
                    copy(unary(UnaryOp.AFFINE, p, 1 - lr * weightDecay, 0), p);
                } else {
                    g = binary(BinaryOp.ADD, g, unary(UnaryOp.AFFINE, p, weightDecay, 0));
                }
            }
            Tensor m = expAvgs.get(i);
            Tensor v = expAvgSqs.get(i);
            copy(binary(BinaryOp.ADD, unary(UnaryOp.AFFINE, m, beta1, 0), unary(UnaryOp.AFFINE, g, 1 - beta1, 0)), m);
            copy(binary(BinaryOp.ADD, unary(UnaryOp.AFFINE, v, beta2, 0),
                    unary(UnaryOp.AFFINE, binary(BinaryOp.MUL, g, g), 1 - beta2, 0)), v);
            double biasCorrection1 = 1 - Math.pow(beta1, steps[i]);
            double biasCorrection2 = 1 - Math.pow(beta2, steps[i]);
            Tensor denom = unary(UnaryOp.AFFINE, unary(UnaryOp.SQRT, v, 0, 0), 1 / Math.sqrt(biasCorrection2), eps);
            copy(binary(BinaryOp.SUB, p, unary(UnaryOp.AFFINE, binary(BinaryOp.DIV, m, denom), lr / biasCorrection1, 0)), p);
        }
    }
}
