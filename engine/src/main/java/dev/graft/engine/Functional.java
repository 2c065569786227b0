package dev.graft.engine;

/**
 * The neural-network operations (PyTorch's {@code torch.nn.functional} for what ResNets need): each checks
 * its arguments, runs the backend kernel and records its backward on the tape.
 */
public final class Functional {
    private Functional() {
    }

    // ---------------------------------------------------------------- convolution and linear

    /** 2-D convolution of {@code x [N, C, H, W]} with {@code weight [O, C/groups, kH, kW]}; bias [O] may be null. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
                                int groups) {
        Ops.requireSameDtype("conv2d", x, weight);
        Ops.requireFloating("conv2d", x);
        ConvGeometry g = ConvGeometry.of(x.shapeRef(), weight.shapeRef(), stride, padding, dilation, groups);
        if (bias != null) {
            Ops.requireSameDtype("conv2d", x, bias);
            if (bias.dim() != 1 || bias.size(0) != g.outC()) {
                throw new IllegalArgumentException("conv2d: bias of shape " + Shape.format(bias.shapeRef())
                        + " does not match " + g.outC() + " output channels");
            }
        }
        Tensor out = x.backend().conv2d(x, weight, bias, g);
        return recordKernelOp("conv2d", out, grad -> new Tensor[] {
            x.requiresGrad() ? grad.backend().conv2dBackwardInput(grad, weight, g) : null,
            weight.requiresGrad() ? grad.backend().conv2dBackwardWeight(grad, x, g) : null,
            bias != null && bias.requiresGrad() ? grad.sum(new int[] {0, 2, 3}, false) : null}, x, weight, bias);
    }

    /** {@code x [..., in] · weightᵀ + bias} with {@code weight [out, in]}; bias [out] may be null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("linear: weight must be 2-D [out, in], got " + Shape.format(weight.shapeRef()));
        }
        if (x.dim() < 1 || x.size(-1) != weight.size(1)) {
            throw new IllegalArgumentException("linear: input " + Shape.format(x.shapeRef()) + " has "
                    + (x.dim() < 1 ? 0 : x.size(-1)) + " features, weight " + Shape.format(weight.shapeRef())
                    + " expects " + weight.size(1));
        }
        if (bias != null && (bias.dim() != 1 || bias.size(0) != weight.size(0))) {
            throw new IllegalArgumentException("linear: bias of shape " + Shape.format(bias.shapeRef())
                    + " does not match " + weight.size(0) + " output features");
        }
        Tensor out = x.dim() == 1 ? x.unsqueeze(0).matmul(weight.t()).squeeze(0) : x.matmul(weight.t());
        return bias == null ? out : out.add(bias);
    }

    // ---------------------------------------------------------------- normalisation

    /**
     * Batch normalisation over {@code x [N, C, ...]} per channel. In training mode it normalises with the batch
     * statistics and, when running statistics are given, updates them in place (momentum, unbiased variance);
     * otherwise it uses the running statistics. Weight and bias may be null.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        Ops.requireFloating("batch_norm", x);
        if (x.dim() < 2) {
            throw new IllegalArgumentException("batch_norm: input must be at least 2-D [N, C, ...], got "
                    + Shape.format(x.shapeRef()));
        }
        int c = x.size(1);
        for (Tensor p : new Tensor[] {runningMean, runningVar, weight, bias}) {
            if (p != null) {
                Ops.requireSameDtype("batch_norm", x, p);
                if (p.dim() != 1 || p.size(0) != c) {
                    throw new IllegalArgumentException("batch_norm: parameter of shape " + Shape.format(p.shapeRef())
                            + " does not match " + c + " channels of input " + Shape.format(x.shapeRef()));
                }
            }
        }
        if (eps <= 0 || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("batch_norm: need eps > 0 and momentum in [0, 1], got eps=" + eps
                    + " momentum=" + momentum);
        }
        if (training) {
            Tensor[] r = x.backend().batchNormTrain(x, weight, bias, runningMean, runningVar, momentum, eps);
            Tensor mean = r[1];
            Tensor invStd = r[2];
            return recordKernelOp("batch_norm", r[0], g -> g.backend().batchNormBackward(g, x, weight, mean, invStd,
                    new boolean[] {x.requiresGrad(), weight != null && weight.requiresGrad(),
                        bias != null && bias.requiresGrad()}, eps), x, weight, bias);
        }
        if (runningMean == null || runningVar == null) {
            throw new IllegalArgumentException("batch_norm: evaluation mode needs running mean and variance");
        }
        // Evaluation is an affine map per channel; composing it from tensor ops gives its gradients for free.
        int[] channelShape = new int[x.dim()];
        java.util.Arrays.fill(channelShape, 1);
        channelShape[1] = c;
        Tensor[] affine = batchNormAffine(runningMean, runningVar, weight, bias, eps);
        return x.mul(affine[0].reshape(channelShape)).add(affine[1].reshape(channelShape));
    }

    /**
     * The per-channel {scale, shift} that evaluation-mode batch norm applies, {@code x·scale + shift}:
     * {@code scale = weight / sqrt(runningVar + eps)}, {@code shift = bias - runningMean·scale}. weight and bias
     * may be null (1 and 0); gradients flow to them, not to the running statistics.
     */
    public static Tensor[] batchNormAffine(Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                           double eps) {
        Tensor invStd = runningVar.detach().add(eps).pow(-0.5);
        Tensor scale = weight == null ? invStd : weight.mul(invStd);
        Tensor shift = runningMean.detach().mul(scale).neg();
        return new Tensor[] {scale, bias == null ? shift : shift.add(bias)};
    }

    /**
     * Inference-only {@code act(conv2d(x, weight)·scale[o] + shift[o] + residual)} as one kernel: a convolution
     * with an evaluation-mode batch norm folded in ({@link #batchNormAffine}), the residual add and the ReLU (when
     * {@code relu}) of a ResNet block. scale and shift are [outC], residual has the output's shape; each may be
     * null. It records no history, so it refuses inputs that need a gradient.
     */
    public static Tensor conv2dFused(Tensor x, Tensor weight, Tensor scale, Tensor shift, Tensor residual,
                                     boolean relu, int[] stride, int[] padding, int[] dilation, int groups) {
        Ops.requireSameDtype("conv2d_fused", x, weight);
        Ops.requireFloating("conv2d_fused", x);
        ConvGeometry g = ConvGeometry.of(x.shapeRef(), weight.shapeRef(), stride, padding, dilation, groups);
        for (Tensor t : new Tensor[] {scale, shift, residual}) {
            if (t != null) {
                Ops.requireSameDtype("conv2d_fused", x, t);
            }
        }
        for (Tensor t : new Tensor[] {scale, shift}) {
            if (t != null && (t.dim() != 1 || t.size(0) != g.outC())) {
                throw new IllegalArgumentException("conv2d_fused: per-channel scale or shift of shape "
                        + Shape.format(t.shapeRef()) + " does not match " + g.outC() + " output channels");
            }
        }
        if (residual != null && !java.util.Arrays.equals(residual.shapeRef(), g.outputShape())) {
            throw new IllegalArgumentException("conv2d_fused: residual of shape " + Shape.format(residual.shapeRef())
                    + " does not match the output " + Shape.format(g.outputShape()));
        }
        if (NoGrad.isGradEnabled()) {
            for (Tensor t : new Tensor[] {x, weight, scale, shift, residual}) {
                if (t != null && t.requiresGrad()) {
                    throw new IllegalArgumentException("conv2d_fused: records no gradient, but an input of shape "
                            + Shape.format(t.shapeRef()) + " requires one; use conv2d and batch_norm, or NoGrad");
                }
            }
        }
        return x.backend().conv2dFused(x, weight, scale, shift, residual, relu, g);
    }

    // ---------------------------------------------------------------- pooling

    /** Max pooling with -inf padding; {@code stride} null means stride = kernel. */
    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
        Ops.requireFloating("max_pool2d", x);
        PoolGeometry g = PoolGeometry.of("max_pool2d", x.shapeRef(), kernel, stride == null ? kernel : stride, padding);
        Tensor[] r = x.backend().maxPool2d(x, g);
        Tensor indices = r[1];
        return recordKernelOp("max_pool2d", r[0], grad -> new Tensor[] {
            grad.backend().maxPool2dBackward(grad, indices, g)}, x);
    }

    /** Average pooling with zero padding; {@code stride} null means stride = kernel. */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
        Ops.requireFloating("avg_pool2d", x);
        PoolGeometry g = PoolGeometry.of("avg_pool2d", x.shapeRef(), kernel, stride == null ? kernel : stride, padding);
        Tensor out = x.backend().avgPool2d(x, g, countIncludePad);
        return recordKernelOp("avg_pool2d", out, grad -> new Tensor[] {
            grad.backend().avgPool2dBackward(grad, g, countIncludePad)}, x);
    }

    /** Average pooling to a fixed output size with PyTorch's window boundaries. */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        Ops.requireFloating("adaptive_avg_pool2d", x);
        if (x.dim() != 4) {
            throw new IllegalArgumentException("adaptive_avg_pool2d: input must be 4-D [N, C, H, W], got "
                    + Shape.format(x.shapeRef()));
        }
        if (outH < 1 || outW < 1 || x.numel() == 0) {
            throw new IllegalArgumentException("adaptive_avg_pool2d: output size [" + outH + ", " + outW
                    + "] and input " + Shape.format(x.shapeRef()) + " must be positive");
        }
        int[] inShape = x.shapeRef();
        Tensor out = x.backend().adaptiveAvgPool2d(x, outH, outW);
        return recordKernelOp("adaptive_avg_pool2d", out, grad -> new Tensor[] {
            grad.backend().adaptiveAvgPool2dBackward(grad, inShape)}, x);
    }

    /**
     * Records an op whose backward calls the backend's convolution, pooling or normalisation kernels. The gradient
     * reaching it may be any view (a transpose, a slice, a stride-0 broadcast from a sum); the backend takes it
     * dense, so it is made dense here, once, for all of them.
     */
    private static Tensor recordKernelOp(String name, Tensor out, Node.Backward backward, Tensor... inputs) {
        return Node.record(name, out, grad -> backward.apply(dense(grad)), inputs);
    }

    /** {@code t} when it is contiguous from offset 0 and spans its whole storage, else such a copy. */
    private static Tensor dense(Tensor t) {
        return t.isContiguous() && t.offset() == 0 && t.storage().size() == t.numel() ? t : t.contiguousCopy();
    }

    // ---------------------------------------------------------------- indexing

    /**
     * Rows {@code indices} (I64 [B]) of a constant {@code table} [M, D] as a new [B, D] tensor, e.g. a batch of
     * cached features; records no history.
     */
    public static Tensor gatherRows(Tensor table, Tensor indices) {
        Ops.requireFloating("gather_rows", table);
        if (table.dim() != 2 || indices.dtype() != DType.I64 || indices.dim() != 1) {
            throw new IllegalArgumentException("gather_rows: needs a 2-D table and I64 indices [B], got "
                    + Shape.format(table.shapeRef()) + " and " + indices.dtype() + " " + Shape.format(indices.shapeRef()));
        }
        if (table.backend() != indices.backend()) {
            throw new IllegalArgumentException("gather_rows: table lives on backend " + table.backend().name()
                    + ", indices on " + indices.backend().name());
        }
        if (table.requiresGrad() && NoGrad.isGradEnabled()) {
            throw new IllegalArgumentException("gather_rows: records no gradient, but the table "
                    + Shape.format(table.shapeRef()) + " requires one");
        }
        return table.backend().gatherRows(dense(table), indices);
    }

    /**
     * The parameter-free shortcut "option A" of CIFAR ResNets: {@code x[:, :, ::2, ::2]} of [N, C, H, W] with
     * {@code pad} zero channels added on each side, [N, C + 2·pad, ceil(H/2), ceil(W/2)].
     */
    public static Tensor subsamplePadChannels(Tensor x, int pad) {
        Ops.requireFloating("subsample_pad_channels", x);
        if (x.dim() != 4 || pad < 0) {
            throw new IllegalArgumentException("subsample_pad_channels: needs a 4-D input [N, C, H, W] and a padding"
                    + " >= 0, got " + Shape.format(x.shapeRef()) + " and " + pad);
        }
        int[] inShape = x.shapeRef();
        Tensor out = x.backend().subsamplePadChannels(dense(x), pad);
        return recordKernelOp("subsample_pad_channels", out, g -> new Tensor[] {
            g.backend().subsamplePadChannelsBackward(g, inShape, pad)}, x);
    }

    // ---------------------------------------------------------------- regularisation

    /** Zeroes each element with probability p and scales the rest by 1/(1-p); identity when not training. */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator generator) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout: probability must be in [0, 1], got " + p);
        }
        if (!training || p == 0) {
            return x;
        }
        if (p == 1) {
            return x.mul(0);
        }
        float[] keep = new float[x.numel()];
        float scale = (float) (1 / (1 - p));
        for (int i = 0; i < keep.length; i++) {
            keep[i] = generator.nextDouble() >= p ? scale : 0f;
        }
        // Drawn on the host from the caller's generator (reproducible on every backend), then uploaded.
        return x.mul(Tensor.of(x.backend().upload(keep), x.shapeRef()).to(x.dtype()));
    }

    // ---------------------------------------------------------------- softmax and losses

    public static Tensor softmax(Tensor x, int dim) {
        return logSoftmax(x, dim).exp();
    }

    /** {@code x - logsumexp(x)} along {@code dim}, shifted by the maximum for stability. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        Ops.requireFloating("log_softmax", x);
        int d = Shape.dim("log_softmax", dim, x.dim());
        Tensor shifted = x.sub(x.max(d, true).values().detach());
        return shifted.sub(shifted.exp().sum(d, true).log());
    }

    /**
     * Negative log-likelihood of {@code logProbs [N, C]} at I64 {@code target [N]}; optional class weights [C].
     * MEAN divides by the summed weights of the targets, as PyTorch does.
     */
    public static Tensor nllLoss(Tensor logProbs, Tensor target, Tensor weight, Reduction reduction) {
        return nll(logProbs, classMask("nll_loss", logProbs, target, weight), reduction);
    }

    private static Tensor nll(Tensor logProbs, Tensor picked, Reduction reduction) {
        Tensor perSample = logProbs.mul(picked).sum(1, false).neg();
        return switch (reduction) {
            case NONE -> perSample;
            case SUM -> perSample.sum();
            case MEAN -> perSample.sum().div(picked.sum());
        };
    }

    /**
     * Cross entropy of {@code logits [N, C]} against I64 class indices {@code target [N]}, with optional class
     * weights [C] and label smoothing in [0, 1], following PyTorch's definition.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Tensor weight, double labelSmoothing,
                                      Reduction reduction) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("cross_entropy: label smoothing must be in [0, 1], got " + labelSmoothing);
        }
        checkClassScores("cross_entropy", logits, target, weight);
        Tensor scores = dense(logits);
        Tensor w = weight == null ? null : dense(weight.detach());
        Tensor[] r;
        try {
            r = scores.backend().softmaxCrossEntropy(scores, target, w, labelSmoothing);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cross_entropy: target " + e.getMessage(), e);
        }
        Tensor probs = r[1];
        Tensor perSample = recordKernelOp("cross_entropy", r[0], g -> new Tensor[] {
            g.backend().softmaxCrossEntropyBackward(g, probs, target, w, labelSmoothing)}, logits);
        return switch (reduction) {
            case NONE -> perSample;
            case SUM -> perSample.sum();
            case MEAN -> perSample.sum().div(r[2].sum());
        };
    }

    /**
     * Multi-class focal loss (Lin et al. 2017) on logits [N,C] and I64 targets [N]: per sample
     * -w[t] * (1 - p_t)^gamma * log p_t with p_t = softmax(logits)[t]; gamma = 0 equals crossEntropy (up to rounding)
     * (same weight handling and the same MEAN denominator, the sum of the target weights). weight may be null.
     */
    public static Tensor focalLoss(Tensor logits, Tensor target, Tensor weight, double gamma, Reduction reduction) {
        if (!(gamma >= 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("focal_loss: gamma must be finite and >= 0, got " + gamma);
        }
        Tensor picked = classMask("focal_loss", logits, target, weight);
        Tensor logProbs = logSoftmax(logits, 1);
        if (gamma == 0) {
            return nll(logProbs, picked, reduction);
        }
        // Where p rounds to 1, 1 - p is 0 and the power's derivative is infinite for gamma < 1, so backward would
        // give 0 · inf = NaN although the loss's gradient tends to 0 there. Flooring 1 - p at the smallest normal
        // number lets the clamp's zero derivative cut that path; the loss moves by at most |log p|, which is
        // below the rounding error of p there.
        double floor = logits.dtype() == DType.F64 ? Double.MIN_NORMAL : Float.MIN_NORMAL;
        Tensor modulation = Ops.affine(logProbs.exp(), -1, 1).clamp(floor, Double.POSITIVE_INFINITY).pow(gamma);
        return nll(logProbs.mul(modulation), picked, reduction);
    }

    /** [N, C] constant: the target's class weight (1 without weights) at each sample's target, 0 elsewhere. */
    private static Tensor classMask(String op, Tensor scores, Tensor target, Tensor weight) {
        checkClassScores(op, scores, target, weight);
        Tensor mask;
        try {
            mask = scores.backend().oneHot(target.unsqueeze(1), 1, scores.size(1), scores.dtype());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": target " + e.getMessage(), e);
        }
        return weight == null ? mask : mask.mul(weight.detach().reshape(1, scores.size(1)));
    }

    /**
     * Checks scores [N, C], I64 target [N] and weight [C] (or null) of one backend. Target classes are checked
     * by the backend's one-hot, which sees the values without a round trip to the host.
     */
    private static void checkClassScores(String op, Tensor scores, Tensor target, Tensor weight) {
        Ops.requireFloating(op, scores);
        if (scores.dim() != 2) {
            throw new IllegalArgumentException(op + ": input must be 2-D [N, C], got " + Shape.format(scores.shapeRef()));
        }
        int n = scores.size(0);
        int c = scores.size(1);
        if (target.dtype() != DType.I64 || target.dim() != 1 || target.size(0) != n) {
            throw new IllegalArgumentException(op + ": target must be I64 of shape [" + n + "], got " + target.dtype()
                    + " " + Shape.format(target.shapeRef()));
        }
        if (target.backend() != scores.backend()) {
            throw new IllegalArgumentException(op + ": target lives on backend " + target.backend().name()
                    + ", scores on " + scores.backend().name());
        }
        if (weight == null) {
            return;
        }
        Ops.requireSameDtype(op, scores, weight);
        if (weight.dim() != 1 || weight.size(0) != c) {
            throw new IllegalArgumentException(op + ": weight of shape " + Shape.format(weight.shapeRef())
                    + " does not match " + c + " classes");
        }
    }
}
