package dev.graft.engine;

/** Training-mode batch normalisation (evaluation mode is an elementwise affine map, see {@link Functional}). */
public interface NormalizationOps {
    /**
     * Training-mode batch norm over (N, H, W) per channel: {output, saveMean [C], saveInvStd [C]}. Weight and
     * bias may be null; running statistics, when given, are updated in place with the unbiased variance.
     */
    Tensor[] batchNormTrain(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                            double momentum, double eps);

    /**
     * Gradients of training-mode batch norm: {input, weight, bias}; an entry is null when its
     * {@code wanted} flag is false. {@code eps} is the forward pass's (libraries such as cuDNN require the same).
     */
    Tensor[] batchNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd,
                               boolean[] wanted, double eps);
}
