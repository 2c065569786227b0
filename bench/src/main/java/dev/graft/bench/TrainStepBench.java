package dev.graft.bench;

import dev.graft.models.ModelRegistry;
import dev.graft.models.train.BenchStep;
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
 * weights, exactly the workload of {@code graft bench --batch 8} ({@link BenchStep}): {@code trainStep} is forward,
 * mean cross-entropy, backward and an SGD step with every parameter trainable and BatchNorm in training mode;
 * {@code frozenStep} the same with the backbone frozen; {@code evalForward} the forward pass in eval mode without
 * gradients. images/s = 8 / (s/op). A step takes seconds, so warm-up and measurement iterations are longer than the
 * kernels'.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TrainStepBench {
    private static final int IMAGE_SIZE = 224;

    /** A network and a labelled batch in one of the three modes. */
    @State(Scope.Benchmark)
    public abstract static class Workload {
        @Param({"resnet18", "resnet50"})
        public String arch;

        BenchStep step;

        void build(BenchStep.Mode mode) {
            step = new BenchStep(ModelRegistry.get(arch), mode, ResNet50Layers.BATCH, IMAGE_SIZE, 0);
        }
    }

    @State(Scope.Benchmark)
    public static class Training extends Workload {
        @Setup
        public void setup() {
            build(BenchStep.Mode.TRAIN);
        }
    }

    @State(Scope.Benchmark)
    public static class Frozen extends Workload {
        @Setup
        public void setup() {
            build(BenchStep.Mode.FROZEN);
        }
    }

    @State(Scope.Benchmark)
    public static class Evaluation extends Workload {
        @Setup
        public void setup() {
            build(BenchStep.Mode.INFER);
        }
    }

    @Benchmark
    public void trainStep(Training t) {
        t.step.run();
    }

    @Benchmark
    public void frozenStep(Frozen f) {
        f.step.run();
    }

    @Benchmark
    public void evalForward(Evaluation e) {
        e.step.run();
    }
}
