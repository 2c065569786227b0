package dev.graft.kernels;

/**
 * The float hyper-parameters of the optimizer kernels (optimizers.cu), rounded from double on the host exactly
 * as the CPU's fused kernels round them, so that both run the same float operations on the same values.
 */
final class OptimizerScalars {
    private OptimizerScalars() {
    }

    /** graft_sgd_f32's {@code lr, weightDecay, momentum, keep}. */
    record Sgd(float lr, float weightDecay, float momentum, float keep) {
        static Sgd of(double lr, double weightDecay, double momentum, double dampening) {
            return new Sgd((float) lr, (float) weightDecay, (float) momentum, (float) (1 - dampening));
        }
    }

    /** graft_adam_f32's scalars for step count {@code t}; {@code decay} and {@code decoupled} are its int flags. */
    record Adam(int decay, int decoupled, float shrink, float weightDecay, float b1, float b2, float c1, float c2,
                float invSqrtBc2, float eps, float stepSize) {
        static Adam of(double lr, double weightDecay, boolean decoupledDecay, double beta1, double beta2, double eps,
                       long t) {
            return new Adam(weightDecay != 0 ? 1 : 0, decoupledDecay ? 1 : 0, (float) (1 - lr * weightDecay),
                    (float) weightDecay, (float) beta1, (float) beta2, (float) (1 - beta1), (float) (1 - beta2),
                    (float) (1 / Math.sqrt(1 - Math.pow(beta2, t))), (float) eps,
                    (float) (lr / (1 - Math.pow(beta1, t))));
        }
    }
}
