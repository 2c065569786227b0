package dev.graft.engine.cpu;

import dev.graft.engine.DType;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * In-place F32 optimizer updates: one pass over a parameter, its gradient and its state buffers, where the
 * tensor-op formulation allocates several parameter-sized temporaries. Each element goes through the same float
 * operations, in the same order, as that formulation (hyper-parameters rounded to float, no fused multiply-add),
 * so the results are those of the F32 tensor ops. The optimizers use these for dense F32 CPU tensors (see
 * {@link #fusable}) and keep the tensor ops for everything else.
 */
final class OptimizerKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final int GRAIN = 1 << 15;

    private OptimizerKernels() {
    }

    /** True when every tensor is F32, on this backend, and covers its whole storage contiguously from offset 0. */
    static boolean fusable(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t.dtype() != DType.F32 || !(t.storage() instanceof CpuStorage s) || t.offset() != 0
                    || s.size() != t.numel() || !t.isContiguous()) {
                return false;
            }
        }
        return true;
    }

    /**
     * SGD as {@code torch.optim.SGD}: {@code d = g + wd·p}; with momentum, {@code buf = d} on the first step and
     * {@code momentum·buf + (1 - dampening)·d} after, and the step is {@code d + momentum·buf} (Nesterov) or
     * {@code buf}; then {@code p -= lr·step}. {@code buf} is null when momentum is 0.
     */
    static void sgd(Tensor param, Tensor grad, Tensor buf, boolean firstStep, double lr, double weightDecay,
            double momentum, double dampening, boolean nesterov) {
        float[] p = floats("sgd", param, param);
        float[] g = floats("sgd", grad, param);
        float[] b = buf == null ? null : floats("sgd", buf, param);
        float wd = (float) weightDecay;
        float m = (float) momentum;
        float keep = (float) (1 - dampening);
        float flr = (float) lr;
        Parallel.forRange(p.length, GRAIN, (from, to) -> {
            for (int i = from; i < to; i += V) {
                VectorMask<Float> in = S.indexInRange(i, to);
                FloatVector pv = FloatVector.fromArray(S, p, i, in);
                FloatVector d = FloatVector.fromArray(S, g, i, in);
                if (weightDecay != 0) {
                    d = d.add(pv.mul(wd));
                }
                FloatVector step = d;
                if (b != null) {
                    FloatVector bv = firstStep ? d : FloatVector.fromArray(S, b, i, in).mul(m).add(d.mul(keep));
                    bv.intoArray(b, i, in);
                    step = nesterov ? d.add(bv.mul(m)) : bv;
                }
                pv.sub(step.mul(flr)).intoArray(p, i, in);
            }
        });
    }

    /**
     * Adam and AdamW as PyTorch 1.13's {@code _single_tensor_adam(w)} with {@code t = step}: the weight decay is
     * either decoupled ({@code p *= 1 - lr·wd}) or added to the gradient; {@code m = β1·m + (1-β1)·g},
     * {@code v = β2·v + (1-β2)·g²}, {@code p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps)}.
     */
    static void adam(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, long step, double lr,
            double weightDecay, boolean decoupledDecay, double beta1, double beta2, double eps) {
        float[] p = floats("adam", param, param);
        float[] g = floats("adam", grad, param);
        float[] m = floats("adam", expAvg, param);
        float[] v = floats("adam", expAvgSq, param);
        boolean decay = weightDecay != 0;
        float shrink = (float) (1 - lr * weightDecay);
        float wd = (float) weightDecay;
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float c1 = (float) (1 - beta1);
        float c2 = (float) (1 - beta2);
        float invSqrtBc2 = (float) (1 / Math.sqrt(1 - Math.pow(beta2, step)));
        float feps = (float) eps;
        float stepSize = (float) (lr / (1 - Math.pow(beta1, step)));
        Parallel.forRange(p.length, GRAIN, (from, to) -> {
            for (int i = from; i < to; i += V) {
                VectorMask<Float> in = S.indexInRange(i, to);
                FloatVector pv = FloatVector.fromArray(S, p, i, in);
                FloatVector gv = FloatVector.fromArray(S, g, i, in);
                if (decay && decoupledDecay) {
                    pv = pv.mul(shrink);
                } else if (decay) {
                    gv = gv.add(pv.mul(wd));
                }
                FloatVector mv = FloatVector.fromArray(S, m, i, in).mul(b1).add(gv.mul(c1));
                FloatVector vv = FloatVector.fromArray(S, v, i, in).mul(b2).add(gv.mul(gv).mul(c2));
                mv.intoArray(m, i, in);
                vv.intoArray(v, i, in);
                FloatVector denom = vv.sqrt().mul(invSqrtBc2).add(feps);
                pv.sub(mv.div(denom).mul(stepSize)).intoArray(p, i, in);
            }
        });
    }

    private static float[] floats(String op, Tensor t, Tensor param) {
        if (!fusable(t) || t.numel() != param.numel()) {
            throw new IllegalArgumentException(op + ": fused update needs dense F32 CPU tensors shaped like the "
                    + "parameter " + Shape.format(param.shape()) + ", got " + t.dtype() + " " + Shape.format(t.shape())
                    + " on " + t.backend().name());
        }
        return ((CpuStorage) t.storage()).f;
    }
}
