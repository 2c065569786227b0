package dev.graft.engine.optim;

import dev.graft.engine.Backend;
import dev.graft.engine.DType;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Parameter;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Gradient clipping, as {@code torch.nn.utils}. */
public final class GradClip {
    /** PyTorch's guard against dividing by a zero norm. */
    private static final double EPS = 1e-6;

    private GradClip() {
    }

    /**
     * torch.nn.utils.clip_grad_norm_ (L2, eps 1e-6): scales all grads in place by {@code maxNorm / (norm + 1e-6)}
     * when that is below 1; returns the total norm before clipping. Parameters without grad are ignored, and a
     * parameter listed twice counts once. When the total norm is not finite the grads are left as they are (PyTorch
     * would turn them into NaN), so a caller can see the returned norm and skip the step.
     */
    public static double clipGradNorm(Collection<Parameter> params, double maxNorm) {
        if (params == null) {
            throw new IllegalArgumentException("clipGradNorm: params must not be null");
        }
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be finite and > 0, got " + maxNorm);
        }
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Tensor> grads = new ArrayList<>();
        for (Parameter p : params) {
            if (p == null) {
                throw new IllegalArgumentException("clipGradNorm: params must not contain null");
            }
            if (seen.add(p) && p.grad() != null) {
                grads.add(p.grad());
            }
        }
        try (var _ = NoGrad.enter()) {
            // Summed on each gradient's backend; the host reads one number per backend, not one per parameter.
            Map<Backend, Tensor> sums = new LinkedHashMap<>();
            for (Tensor g : grads) {
                Tensor s = g.mul(g).sum().to(DType.F64);
                sums.merge(g.backend(), s, Tensor::add);
            }
            double sumOfSquares = 0;
            for (Tensor s : sums.values()) {
                sumOfSquares += s.item();
            }
            double total = Math.sqrt(sumOfSquares);
            double coef = maxNorm / (total + EPS);
            if (Double.isFinite(total) && coef < 1) {
                for (Tensor g : grads) {
                    g.copyFrom(g.mul(coef));
                }
            }
            return total;
        }
    }
}
