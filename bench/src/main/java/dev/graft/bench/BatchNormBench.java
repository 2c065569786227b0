package dev.graft.bench;

import dev.graft.engine.cpu.BatchNormKernels;
import java.util.Arrays;
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
 * F32 training-mode batch normalisation ({@code BatchNormKernels}) on the output of a ResNet-50 convolution,
 * batch {@value ResNet50Layers#BATCH}: forward (batch statistics, normalise, scale and shift, update the running
 * statistics with momentum 0.1) and backward (the input, weight and bias gradients).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class BatchNormBench {
    private static final double MOMENTUM = 0.1;
    private static final double EPS = 1e-5;

    /** {@link ResNet50Layers#BATCH_NORM_LAYERS}: the BatchNorm after that convolution (a test keeps them equal). */
    @Param({"stem_7x7_s2", "l1_3x3", "l1_expand", "l2_expand", "l3_expand", "l4_expand"})
    public String layer;

    private int n;
    private int c;
    private int hw;
    private float[] x;
    private float[] gradOut;
    private float[] weight;
    private float[] bias;
    private float[] runningMean;
    private float[] runningVar;
    private float[] out;
    private float[] saveMean;
    private float[] saveInvStd;
    private float[] gradInput;
    private float[] gradWeight;
    private float[] gradBias;

    @Setup
    public void setup() {
        ConvLayer conv = ResNet50Layers.get(layer);
        n = ResNet50Layers.BATCH;
        c = conv.outC();
        hw = conv.outSize() * conv.outSize();
        SplittableRandom rnd = new SplittableRandom(42);
        x = GemmBench.random(rnd, n * c * hw);
        gradOut = GemmBench.random(rnd, n * c * hw);
        weight = GemmBench.random(rnd, c);
        bias = GemmBench.random(rnd, c);
        runningMean = new float[c];
        runningVar = new float[c];
        Arrays.fill(runningVar, 1f);
        out = new float[n * c * hw];
        saveMean = new float[c];
        saveInvStd = new float[c];
        gradInput = new float[n * c * hw];
        gradWeight = new float[c];
        gradBias = new float[c];
        forward(); // the statistics backward() reads
    }

    @Benchmark
    public float[] forward() {
        BatchNormKernels.trainForward(x, n, c, hw, weight, bias, runningMean, runningVar, MOMENTUM, EPS, out,
                saveMean, saveInvStd);
        return out;
    }

    @Benchmark
    public float[] backward() {
        BatchNormKernels.backward(gradOut, x, n, c, hw, weight, saveMean, saveInvStd, gradInput, gradWeight,
                gradBias);
        return gradInput;
    }
}
