package dev.graft.engine.nn;

import dev.graft.engine.Functional;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;

/**
 * {@code act(bn(conv(x)) + residual)}, the unit every ResNet block repeats, run as one convolution kernel when it
 * can be: the batch norm normalises with its running statistics (evaluation mode, or a frozen layer) and nothing
 * needs a gradient (inference, or a frozen stage that only feeds trainable layers further on). The batch norm then
 * becomes a per-channel scale and shift that the convolution applies, with the residual and the ReLU, while each
 * image's output is still in cache, instead of four passes over activation-sized tensors. In every other case the
 * modules run one after another, exactly as unfused.
 */
public final class ConvBnFusion {
    private ConvBnFusion() {
    }

    /**
     * {@code relu(bn(conv(x)) + residual)}, without the ReLU when {@code relu} is false and without the add when
     * {@code residual} is null.
     */
    public static Tensor forward(Conv2d conv, BatchNorm2d bn, Tensor x, Tensor residual, boolean relu) {
        if (!fusible(conv, bn, x, residual)) {
            Tensor out = bn.forward(conv.forward(x));
            if (residual != null) {
                out = out.add(residual);
            }
            return relu ? out.relu() : out;
        }
        Tensor[] affine = Functional.batchNormAffine(bn.runningMean(), bn.runningVar(),
                bn.weight() == null ? null : bn.weight().tensor(), bn.bias() == null ? null : bn.bias().tensor(),
                bn.eps());
        Tensor shift = conv.bias() == null ? affine[1] : affine[1].add(conv.bias().tensor().mul(affine[0]));
        return Functional.conv2dFused(x, conv.weight().tensor(), affine[0], shift, residual, relu, conv.stride(),
                conv.padding(), conv.dilation(), conv.groups());
    }

    static boolean fusible(Conv2d conv, BatchNorm2d bn, Tensor x, Tensor residual) {
        if (!bn.usesRunningStatistics() || bn.numFeatures() != conv.outChannels()) {
            return false;
        }
        if (!NoGrad.isGradEnabled()) {
            return true;
        }
        return !x.requiresGrad() && (residual == null || !residual.requiresGrad())
                && !requiresGrad(conv.weight()) && !requiresGrad(conv.bias())
                && !requiresGrad(bn.weight()) && !requiresGrad(bn.bias());
    }

    private static boolean requiresGrad(Parameter p) {
        return p != null && p.tensor().requiresGrad();
    }
}
