package dev.graft.bench;

import dev.graft.engine.cpu.Gemm;
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
 * Time of one F32 {@code Gemm.sgemm}, {@code 2·m·n·k} FLOPs (the suite's summary converts to GFLOP/s):
 * <ul>
 *   <li>{@code sgemm}: {@code C = A·B}, no transposes, {@code -p shape=MxNxK} for any other size;</li>
 *   <li>{@code resnet50}: the per-image GEMM of each distinct ResNet-50 convolution ({@link ResNet50Layers}) in
 *       each pass, with the transposes {@code Conv2dKernels} uses ({@link ConvPass}); {@code -p images=N} for
 *       the GEMM of N images side by side.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class GemmBench {
    /** Operands of one product, random in [-1, 1). */
    abstract static class Operands {
        GemmShape s;
        float[] a;
        float[] b;
        float[] c;

        void allocate(GemmShape shape) {
            s = shape;
            SplittableRandom rnd = new SplittableRandom(42);
            a = random(rnd, s.sizeA());
            b = random(rnd, s.sizeB());
            c = new float[s.m() * s.n()];
        }

        float[] multiply() {
            Gemm.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), a, 0, s.lda(), b, 0, s.ldb(), c, 0, s.n(), false);
            return c;
        }
    }

    @State(Scope.Benchmark)
    public static class Square extends Operands {
        /** {@code m x n x k}. */
        @Param({"256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048"})
        public String shape;

        @Setup
        public void setup() {
            allocate(GemmShape.parse(shape));
        }
    }

    @State(Scope.Benchmark)
    public static class ResNet50 extends Operands {
        /** Every distinct convolution of ResNet-50 unless {@code -p layer=...} picks some. */
        @Param
        public ResNet50Conv layer;
        @Param({"fwd", "bwdData", "bwdWeight"})
        public String pass;
        /**
         * Images side by side in one GEMM: 1 as in the per-image lowering; {@code Conv2dKernels} also puts several
         * images of a small output plane (under 512 pixels: ResNet's 14x14 and 7x7 stages) into one GEMM, how many
         * depending on the batch and the threads; {@code -p images=4} times such a GEMM.
         */
        @Param({"1"})
        public int images;

        @Setup
        public void setup() {
            allocate(layer.layer().gemm(ConvPass.of(pass), images));
        }
    }

    @Benchmark
    public float[] sgemm(Square s) {
        return s.multiply();
    }

    @Benchmark
    public float[] resnet50(ResNet50 s) {
        return s.multiply();
    }

    static float[] random(SplittableRandom rnd, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) rnd.nextDouble(-1, 1);
        }
        return v;
    }
}
