package dev.graft.bench;

import dev.graft.engine.ConvGeometry;
import dev.graft.engine.Shape;
import dev.graft.engine.cpu.Conv2dKernels;
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
 * F32 conv2d forward and both backward passes on ResNet-50 shapes (no bias, as before a BatchNorm). Each pass
 * costs 2·n·outC·(c/groups)·kh·kw·outH·outW FLOPs; bench/RESULTS.md converts the times to GFLOP/s.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class Conv2dBench {
    /**
     * layer2: 3x3 conv 128 -> 128 on 28x28, batch 8, padding 1; layer3: 1x1 conv 256 -> 1024 on 14x14, batch 8;
     * stem: 7x7 stride-2 conv 3 -> 64 on 224x224, batch 2, padding 3.
     */
    @Param({"layer2_3x3", "layer3_1x1", "stem_7x7"})
    public String layer;

    private ConvGeometry g;
    private float[] x;
    private float[] w;
    private float[] gradOut;

    @Setup
    public void setup() {
        g = switch (layer) {
            case "layer2_3x3" -> geometry(8, 128, 28, 128, 3, 1, 1);
            case "layer3_1x1" -> geometry(8, 256, 14, 1024, 1, 1, 0);
            case "stem_7x7" -> geometry(2, 3, 224, 64, 7, 2, 3);
            default -> throw new IllegalArgumentException("Conv2dBench: unknown layer " + layer);
        };
        SplittableRandom rnd = new SplittableRandom(42);
        x = GemmBench.random(rnd, Shape.numel(g.inputShape()));
        w = GemmBench.random(rnd, Shape.numel(g.weightShape()));
        gradOut = GemmBench.random(rnd, Shape.numel(g.outputShape()));
    }

    private static ConvGeometry geometry(int n, int c, int hw, int outC, int kernel, int stride, int pad) {
        return ConvGeometry.of(new int[] {n, c, hw, hw}, new int[] {outC, c, kernel, kernel},
                new int[] {stride, stride}, new int[] {pad, pad}, new int[] {1, 1}, 1);
    }

    @Benchmark
    public float[] forward() {
        return Conv2dKernels.forward(x, w, null, g);
    }

    @Benchmark
    public float[] backwardInput() {
        return Conv2dKernels.backwardInput(gradOut, w, g);
    }

    @Benchmark
    public float[] backwardWeight() {
        return Conv2dKernels.backwardWeight(gradOut, x, g);
    }
}
