package dev.graft.bench;

import dev.graft.engine.Generator;
import dev.graft.engine.PoolGeometry;
import dev.graft.engine.Tensor;
import dev.graft.engine.cpu.BatchNormKernels;
import dev.graft.engine.cpu.PoolKernels;
import dev.graft.engine.nn.Parameter;
import dev.graft.engine.optim.AdamW;
import dev.graft.engine.optim.Optimizer;
import dev.graft.engine.optim.ParamGroup;
import dev.graft.engine.optim.Sgd;
import dev.graft.models.resnet.ResNet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory-bound F32 ops between the convolutions of a ResNet: ReLU, the channel-broadcast multiply of an
 * eval batch-norm, the residual add, training batch-norm forward and backward (on ResNet-18/50 activation
 * shapes), 3x3 stride-2 max-pool on the stem output, and one SGD-momentum or AdamW step over ResNet-18's
 * 11.7 M parameters.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx8g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class ElementwiseBench {

    /** An activation {@code [n, c, h, w]} with a second one like it, a per-channel scale and BN state. */
    @State(Scope.Benchmark)
    public static class Activation {
        /** ResNet-18/50 stem-stage and layer1 (bottleneck output) activations at batch 8. */
        @Param({"8x64x112x112", "8x256x56x56"})
        public String shape;

        int n;
        int c;
        int hw;
        Tensor x;
        Tensor other;
        Tensor channelScale;
        float[] xs;
        float[] gradOut;
        float[] weight;
        float[] bias;
        float[] runningMean;
        float[] runningVar;
        float[] out;
        float[] saveMean;
        float[] saveInvStd;
        float[] gradIn;
        float[] gradWeight;
        float[] gradBias;

        @Setup
        public void setup() {
            String[] dims = shape.split("x");
            n = Integer.parseInt(dims[0]);
            c = Integer.parseInt(dims[1]);
            hw = Integer.parseInt(dims[2]) * Integer.parseInt(dims[3]);
            SplittableRandom rnd = new SplittableRandom(42);
            xs = GemmBench.random(rnd, n * c * hw);
            gradOut = GemmBench.random(rnd, n * c * hw);
            x = Tensor.of(xs, n, c, hw / Integer.parseInt(dims[3]), Integer.parseInt(dims[3]));
            other = Tensor.of(GemmBench.random(rnd, n * c * hw), x.shape());
            channelScale = Tensor.of(GemmBench.random(rnd, c), 1, c, 1, 1);
            weight = GemmBench.random(rnd, c);
            bias = GemmBench.random(rnd, c);
            runningMean = new float[c];
            runningVar = new float[c];
            java.util.Arrays.fill(runningVar, 1f);
            out = new float[n * c * hw];
            saveMean = new float[c];
            saveInvStd = new float[c];
            gradIn = new float[n * c * hw];
            gradWeight = new float[c];
            gradBias = new float[c];
            BatchNormKernels.trainForward(xs, n, c, hw, weight, bias, null, null, 0.1, 1e-5, out, saveMean, saveInvStd);
        }
    }

    /** ResNet's stem output before its max-pool: batch 8, 64 channels, 112x112. */
    @State(Scope.Benchmark)
    public static class Stem {
        float[] x;
        PoolGeometry g;
        int[] argmax;

        @Setup
        public void setup() {
            x = GemmBench.random(new SplittableRandom(7), 8 * 64 * 112 * 112);
            g = PoolGeometry.of("max_pool2d", new int[] {8, 64, 112, 112}, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1});
            argmax = new int[8 * 64 * 56 * 56];
        }
    }

    /** ResNet-18's parameters (11.7 M floats) with a gradient each, and an optimizer over them. */
    @State(Scope.Benchmark)
    public static class Step {
        @Param({"sgd_momentum", "adamw"})
        public String optimizer;

        Optimizer opt;

        @Setup(Level.Trial)
        public void setup() {
            Map<String, Parameter> params = ResNet.resnet18(1000, 3, new Generator(1)).namedParameters();
            Generator gen = new Generator(2);
            params.values().forEach(p -> {
                // d/dp sum(p * g) = g, so every parameter gets a dense random gradient that stays across steps.
                p.tensor().mul(Tensor.randn(gen, p.tensor().shape()).mul(1e-3)).sum().backward();
            });
            List<ParamGroup> groups = List.of(new ParamGroup("all", params, 1e-3, 1e-4));
            opt = switch (optimizer) {
                case "sgd_momentum" -> new Sgd(groups, 0.9, 0, false);
                case "adamw" -> new AdamW(groups, 0.9, 0.999, 1e-8);
                default -> throw new IllegalArgumentException("ElementwiseBench: unknown optimizer " + optimizer);
            };
            opt.step();
        }
    }

    @Benchmark
    public Tensor relu(Activation a) {
        return a.x.relu();
    }

    @Benchmark
    public Tensor channelMul(Activation a) {
        return a.x.mul(a.channelScale);
    }

    @Benchmark
    public Tensor add(Activation a) {
        return a.x.add(a.other);
    }

    @Benchmark
    public float[] batchNormTrainForward(Activation a) {
        BatchNormKernels.trainForward(a.xs, a.n, a.c, a.hw, a.weight, a.bias, a.runningMean, a.runningVar, 0.1, 1e-5,
                a.out, a.saveMean, a.saveInvStd);
        return a.out;
    }

    @Benchmark
    public float[] batchNormBackward(Activation a) {
        BatchNormKernels.backward(a.gradOut, a.xs, a.n, a.c, a.hw, a.weight, a.saveMean, a.saveInvStd, a.gradIn,
                a.gradWeight, a.gradBias);
        return a.gradIn;
    }

    @Benchmark
    public float[] maxPoolStem(Stem s) {
        return PoolKernels.maxPool2d(s.x, s.g, s.argmax);
    }

    @Benchmark
    public Optimizer optimizerStep(Step s) {
        s.opt.step();
        return s.opt;
    }
}
