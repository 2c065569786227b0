package dev.graft.engine.nn;

import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

/**
 * PyTorch's {@code torch.nn.init} initialisers, overwriting a tensor in place from a seeded {@link Generator}.
 * Fans follow PyTorch: for a weight {@code [out, in, k…]}, fan_in = in·∏k and fan_out = out·∏k. Each method
 * returns its tensor.
 */
public final class Init {
    private Init() {
    }

    /** Which fan scales the variance: FAN_IN preserves it in the forward pass, FAN_OUT in the backward pass. */
    public enum FanMode {
        FAN_IN, FAN_OUT
    }

    /** The nonlinearity that follows the layer, which sets the gain (PyTorch's {@code calculate_gain}). */
    public enum Nonlinearity {
        LINEAR(1), SIGMOID(1), TANH(5.0 / 3), RELU(Math.sqrt(2));

        private final double gain;

        Nonlinearity(double gain) {
            this.gain = gain;
        }

        public double gain() {
            return gain;
        }
    }

    /** Normal(0, std) with std = gain / sqrt(fan): He initialisation, used by torchvision's ResNets. */
    public static Tensor kaimingNormal(Tensor t, FanMode mode, Nonlinearity nonlinearity, Generator gen) {
        return normal(t, 0, nonlinearity.gain() / Math.sqrt(fan("kaimingNormal", t, mode)), gen);
    }

    /**
     * Uniform(-b, b) with b = sqrt(3) · gain / sqrt(fan_in) and the leaky-ReLU gain sqrt(2 / (1 + a²)).
     * With a = sqrt(5) this is PyTorch's default for Linear and Conv2d weights (b = 1 / sqrt(fan_in)).
     */
    public static Tensor kaimingUniform(Tensor t, double a, Generator gen) {
        double gain = Math.sqrt(2 / (1 + a * a));
        double bound = Math.sqrt(3) * gain / Math.sqrt(fan("kaimingUniform", t, FanMode.FAN_IN));
        return uniform(t, -bound, bound, gen);
    }

    public static Tensor uniform(Tensor t, double low, double high, Generator gen) {
        if (!(low <= high)) {
            throw new IllegalArgumentException("uniform: need low <= high, got [" + low + ", " + high + ")");
        }
        double[] v = new double[t.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = low + (high - low) * gen.nextDouble();
        }
        return write(t, v);
    }

    public static Tensor normal(Tensor t, double mean, double std, Generator gen) {
        if (!(std >= 0)) {
            throw new IllegalArgumentException("normal: std must be >= 0, got " + std);
        }
        double[] v = new double[t.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = mean + std * gen.nextGaussian();
        }
        return write(t, v);
    }

    public static Tensor constant(Tensor t, double value) {
        try (var _ = NoGrad.enter()) {
            return t.fill(value);
        }
    }

    public static Tensor zeros(Tensor t) {
        return constant(t, 0);
    }

    public static Tensor ones(Tensor t) {
        return constant(t, 1);
    }

    /**
     * PyTorch's reset_parameters for Linear and Conv2d: kaiming_uniform(a = sqrt(5)) for the weight, then
     * Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias (which may be null).
     */
    static void linearDefault(Tensor weight, Tensor bias, Generator gen) {
        kaimingUniform(weight, Math.sqrt(5), gen);
        if (bias != null) {
            double bound = 1 / Math.sqrt(fan("init", weight, FanMode.FAN_IN));
            uniform(bias, -bound, bound, gen);
        }
    }

    static int fan(String op, Tensor t, FanMode mode) {
        int[] s = t.shape();
        if (s.length < 2 || Shape.numel(s) == 0) {
            throw new IllegalArgumentException(op + ": fan in and fan out need a non-empty tensor of at least 2"
                    + " dimensions, got " + Shape.format(s));
        }
        int receptiveField = Shape.numel(s) / s[0] / s[1];
        return receptiveField * (mode == FanMode.FAN_IN ? s[1] : s[0]);
    }

    private static Tensor write(Tensor t, double[] values) {
        try (var _ = NoGrad.enter()) {
            return t.copyFrom(Tensor.of(values, t.shape()));
        }
    }
}
