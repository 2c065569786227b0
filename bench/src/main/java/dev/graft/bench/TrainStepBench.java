package dev.graft.bench;

import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Reduction;
import dev.graft.engine.Tensor;
import dev.graft.engine.optim.ParamGroup;
import dev.graft.engine.optim.Sgd;
import dev.graft.models.Architecture;
import dev.graft.models.ModelRegistry;
import dev.graft.models.resnet.StagedNetwork;
import dev.graft.models.train.Strategy;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A whole ResNet on a random batch of {@value ResNet50Layers#BATCH} 224x224 images with randomly initialised
 * weights, the workload of {@code graft bench --batch 8}: {@code trainStep} is forward, mean cross-entropy,
 * backward and an SGD step (momentum 0.9, weight decay 1e-4) with every parameter trainable and BatchNorm in
 * training mode; {@code evalForward} is the forward pass in eval mode without gradients. images/s =
 * 8 / (s/op). A step takes seconds, so warm-up and measurement iterations are longer than the kernels'.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TrainStepBench {
    private static final double LR = 0.01;
    private static final double MOMENTUM = 0.9;
    private static final double WEIGHT_DECAY = 1e-4;
    private static final int IMAGE_SIZE = 224;

    /** A network and a labelled batch. */
    @State(Scope.Benchmark)
    public abstract static class Workload {
        @Param({"resnet18", "resnet50"})
        public String arch;

        StagedNetwork network;
        Tensor images;
        Tensor labels;

        void build() {
            Architecture architecture = ModelRegistry.get(arch);
            Generator gen = new Generator(0);
            network = architecture.build(gen);
            int batch = ResNet50Layers.BATCH;
            images = Tensor.randn(gen, batch, architecture.preprocessing().channels(), IMAGE_SIZE, IMAGE_SIZE);
            long[] classes = new long[batch];
            for (int i = 0; i < batch; i++) {
                classes[i] = gen.nextInt(network.numClasses());
            }
            labels = Tensor.ofLongs(classes, batch);
        }
    }

    @State(Scope.Benchmark)
    public static class Training extends Workload {
        private Sgd sgd;

        @Setup
        public void setup() {
            build();
            Strategy.of(Strategy.Kind.FULL).apply(network);
            network.train();
            sgd = new Sgd(List.of(new ParamGroup("all", network.namedParameters(), LR, WEIGHT_DECAY)), MOMENTUM, 0,
                    false);
        }
    }

    @State(Scope.Benchmark)
    public static class Evaluation extends Workload {
        @Setup
        public void setup() {
            build();
            network.eval();
        }
    }

    @Benchmark
    public Tensor trainStep(Training t) {
        t.sgd.zeroGrad();
        Tensor loss = Functional.crossEntropy(t.network.forward(t.images), t.labels, null, 0, Reduction.MEAN);
        loss.backward();
        t.sgd.step();
        return loss;
    }

    @Benchmark
    public Tensor evalForward(Evaluation e) {
        try (var _ = NoGrad.enter()) {
            return e.network.forward(e.images);
        }
    }
}
