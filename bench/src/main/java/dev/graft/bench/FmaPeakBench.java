package dev.graft.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The F32 FMA throughput one Java thread can reach: {@value #CHAINS} independent chains of
 * {@code FloatVector.fma} on {@code SPECIES_PREFERRED}, all in registers. Twelve chains cover the FMA latency
 * times the FMA pipes of current x86 cores (4–5 cycles x 2 pipes) and, with the two operands, still fit in
 * AVX2's 16 vector registers, so nothing spills.
 *
 * <p>One op is {@value #STEPS} steps of every chain: {@code 2 · CHAINS · STEPS · lanes} FLOPs (an FMA is a
 * multiply and an add per lane), 384,000 with AVX-512's 16 lanes. The secondary metric {@code flops} counts
 * them, so JMH reports FLOP/s directly (summed over threads). Run with JMH's {@code -t N} for the peak of N
 * threads: each thread runs its own loop, as each of graft's N pool threads runs its own micro-kernel.
 *
 * <p>The chains start from a per-thread array and the sum of all chains is returned, so the JIT can neither
 * constant-fold the loop nor drop a chain. {@code x·0.999 + 0.001} converges to 1, so the values stay normal
 * (no overflow, no denormals).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Thread)
public class FmaPeakBench {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int CHAINS = 12;
    static final int STEPS = 1000;
    static final long FLOPS_PER_OP = 2L * CHAINS * STEPS * SPECIES.length();

    private final float[] start = new float[CHAINS * SPECIES.length()];
    private float scale = 0.999f;
    private float shift = 0.001f;

    /** JMH divides these counts by the measured time: FLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long flops;

        @Setup(Level.Iteration)
        public void reset() {
            flops = 0;
        }
    }

    @Setup
    public void setup() {
        for (int i = 0; i < start.length; i++) {
            start[i] = 0.5f + i * 1e-3f;
        }
    }

    @Benchmark
    public FloatVector fma(Counters counters) {
        int l = SPECIES.length();
        FloatVector a = FloatVector.broadcast(SPECIES, scale);
        FloatVector b = FloatVector.broadcast(SPECIES, shift);
        FloatVector v0 = FloatVector.fromArray(SPECIES, start, 0);
        FloatVector v1 = FloatVector.fromArray(SPECIES, start, l);
        FloatVector v2 = FloatVector.fromArray(SPECIES, start, 2 * l);
        FloatVector v3 = FloatVector.fromArray(SPECIES, start, 3 * l);
        FloatVector v4 = FloatVector.fromArray(SPECIES, start, 4 * l);
        FloatVector v5 = FloatVector.fromArray(SPECIES, start, 5 * l);
        FloatVector v6 = FloatVector.fromArray(SPECIES, start, 6 * l);
        FloatVector v7 = FloatVector.fromArray(SPECIES, start, 7 * l);
        FloatVector v8 = FloatVector.fromArray(SPECIES, start, 8 * l);
        FloatVector v9 = FloatVector.fromArray(SPECIES, start, 9 * l);
        FloatVector v10 = FloatVector.fromArray(SPECIES, start, 10 * l);
        FloatVector v11 = FloatVector.fromArray(SPECIES, start, 11 * l);
        for (int i = 0; i < STEPS; i++) {
            v0 = v0.fma(a, b);
            v1 = v1.fma(a, b);
            v2 = v2.fma(a, b);
            v3 = v3.fma(a, b);
            v4 = v4.fma(a, b);
            v5 = v5.fma(a, b);
            v6 = v6.fma(a, b);
            v7 = v7.fma(a, b);
            v8 = v8.fma(a, b);
            v9 = v9.fma(a, b);
            v10 = v10.fma(a, b);
            v11 = v11.fma(a, b);
        }
        counters.flops += FLOPS_PER_OP;
        return v0.add(v1).add(v2.add(v3)).add(v4.add(v5).add(v6.add(v7))).add(v8.add(v9).add(v10.add(v11)));
    }
}
