package dev.graft.bench;

import dev.graft.engine.Backends;
import dev.graft.engine.ConvGeometry;
import dev.graft.engine.Shape;
import dev.graft.engine.cpu.Conv2dKernels;
import dev.graft.engine.cpu.StepMemory;
import java.util.List;
import java.util.SplittableRandom;
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
 * F32 conv2d forward and both backward passes on every distinct convolution of ResNet-50
 * ({@link ResNet50Layers}), batch {@value ResNet50Layers#BATCH}, no bias (as before a BatchNorm). Each pass costs
 * {@code 2·n·outC·c·kh·kw·outH·outW} FLOPs; the suite's summary converts the times to GFLOP/s. Each call runs
 * inside a {@link StepMemory} step, as a training step's convolutions do, so its output and packing arrays are
 * reused from the last call instead of allocated: otherwise the multi-megabyte fresh arrays and the collections
 * they cause dominate the spread of the smaller layers.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class Conv2dBench {
    /** Every distinct convolution of ResNet-50 unless {@code -p layer=...} picks some. */
    @Param
    public ResNet50Conv layer;

    private ConvGeometry g;
    private float[] x;
    private float[] w;
    private float[] gradOut;
    private final StepMemory memory = new StepMemory();

    @Setup
    public void setup() {
        g = layer.layer().geometry(ResNet50Layers.BATCH);
        SplittableRandom rnd = new SplittableRandom(42);
        x = GemmBench.random(rnd, Shape.numel(g.inputShape()));
        w = GemmBench.random(rnd, Shape.numel(g.weightShape()));
        gradOut = GemmBench.random(rnd, Shape.numel(g.outputShape()));
    }

    @Benchmark
    public float[] forward() {
        try (var _ = memory.step(Backends.cpu(), List::of)) {
            return Conv2dKernels.forward(x, w, null, g);
        }
    }

    @Benchmark
    public float[] backwardInput() {
        try (var _ = memory.step(Backends.cpu(), List::of)) {
            return Conv2dKernels.backwardInput(gradOut, w, g);
        }
    }

    @Benchmark
    public float[] backwardWeight() {
        try (var _ = memory.step(Backends.cpu(), List::of)) {
            return Conv2dKernels.backwardWeight(gradOut, x, g);
        }
    }
}
