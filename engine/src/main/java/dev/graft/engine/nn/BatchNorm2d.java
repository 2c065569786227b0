package dev.graft.engine.nn;

import dev.graft.engine.DType;
import dev.graft.engine.Functional;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

/**
 * Batch normalisation over {@code [N, C, H, W]} per channel, PyTorch's {@code BatchNorm2d}: parameters
 * {@code weight} (1) and {@code bias} (0) when affine; buffers {@code running_mean} (0), {@code running_var} (1)
 * and the I64 scalar {@code num_batches_tracked} when tracking running statistics.
 *
 * <p>Training mode normalises with batch statistics, updates the running ones (momentum, or a cumulative
 * average when momentum is null) and counts the batch; evaluation mode uses the running statistics. One
 * departure from PyTorch, for fine-tuning: a <em>frozen</em> layer also uses and keeps its running statistics
 * in training mode, so frozen parts of a network behave exactly as when pre-trained.
 * {@link #setUseBatchStatsWhenFrozen} restores PyTorch's behaviour. An affine layer is frozen when both
 * parameters are; one without parameters when {@link #freeze()} was last applied to it, not {@link #unfreeze()}.
 */
public final class BatchNorm2d extends Module {
    private final int numFeatures;
    private final double eps;
    private final Double momentum;
    private final Parameter weight;
    private final Parameter bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;
    private boolean frozenWithoutParameters;
    private boolean useBatchStatsWhenFrozen;

    /** eps 1e-5, momentum 0.1, affine, tracking running statistics: PyTorch's defaults. */
    public BatchNorm2d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true);
    }

    /** @param momentum weight of the newest batch in the running statistics, or null for a cumulative average */
    public BatchNorm2d(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures < 1 || !(eps > 0) || momentum != null && !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("BatchNorm2d: need num_features >= 1, eps > 0 and momentum in [0, 1]"
                    + " or null, got " + numFeatures + ", " + eps + " and " + momentum);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? registerParameter("weight", new Parameter(Tensor.ones(numFeatures))) : null;
        this.bias = affine ? registerParameter("bias", new Parameter(Tensor.zeros(numFeatures))) : null;
        this.runningMean = trackRunningStats ? registerBuffer("running_mean", Tensor.zeros(numFeatures)) : null;
        this.runningVar = trackRunningStats ? registerBuffer("running_var", Tensor.ones(numFeatures)) : null;
        this.numBatchesTracked = trackRunningStats ? registerBuffer("num_batches_tracked", Tensor.zeros(DType.I64)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() != 4 || x.size(1) != numFeatures) {
            throw new IllegalArgumentException("BatchNorm2d: expected input [N, " + numFeatures + ", H, W], got "
                    + Shape.format(x.shape()));
        }
        Tensor w = weight == null ? null : weight.tensor();
        Tensor b = bias == null ? null : bias.tensor();
        if (usesRunningStatistics()) {
            return Functional.batchNorm(x, runningMean, runningVar, w, b, false, 0, eps);
        }
        // Batch statistics: in training mode, or in any mode when there are no running statistics to use. Only
        // the first case updates them and counts the batch, after the kernel succeeded.
        boolean tracked = numBatchesTracked != null;
        // Only the cumulative average (momentum null) needs the count on the host, as in PyTorch; counting itself
        // stays on the tensor's backend.
        double factor = momentum != null ? momentum : tracked ? 1.0 / (numBatchesTracked.item() + 1) : 0;
        Tensor out = Functional.batchNorm(x, runningMean, runningVar, w, b, true, factor, eps);
        if (tracked) {
            try (var _ = NoGrad.enter()) {
                numBatchesTracked.copyFrom(numBatchesTracked.to(DType.F64).add(1));
            }
        }
        return out;
    }

    /** Whether forward normalises with the running statistics (and leaves them unchanged). */
    boolean usesRunningStatistics() {
        return runningMean != null && (!isTraining() || isFrozen() && !useBatchStatsWhenFrozen);
    }

    private boolean isFrozen() {
        return weight == null ? frozenWithoutParameters : !weight.isTrainable() && !bias.isTrainable();
    }

    @Override
    void setOwnTrainable(boolean trainable) {
        super.setOwnTrainable(trainable);
        frozenWithoutParameters = !trainable;
    }

    /**
     * When true, a frozen layer in training mode normalises with batch statistics and updates its running
     * statistics, as PyTorch does; when false (the default) it uses and keeps its running statistics.
     */
    public void setUseBatchStatsWhenFrozen(boolean useBatchStats) {
        this.useBatchStatsWhenFrozen = useBatchStats;
    }

    public boolean usesBatchStatsWhenFrozen() {
        return useBatchStatsWhenFrozen;
    }

    public int numFeatures() {
        return numFeatures;
    }

    public double eps() {
        return eps;
    }

    /** The scale γ, or null when not affine. */
    public Parameter weight() {
        return weight;
    }

    /** The shift β, or null when not affine. */
    public Parameter bias() {
        return bias;
    }

    /** Null when not tracking running statistics, like the next two. */
    public Tensor runningMean() {
        return runningMean;
    }

    public Tensor runningVar() {
        return runningVar;
    }

    public Tensor numBatchesTracked() {
        return numBatchesTracked;
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + momentum + ", affine=" + (weight != null)
                + ", track_running_stats=" + (runningMean != null);
    }
}
