package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.graft.engine.Backend;
import dev.graft.engine.Backends;
import dev.graft.engine.ConvGeometry;
import dev.graft.engine.DType;
import dev.graft.engine.Generator;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * cuDNN convolution and batch norm and cuBLAS matmul on the GPU against the CPU backend: relative 1e-4 in F32
 * (3e-3 when TF32 is allowed), 1e-10 in F64, measured against the largest reference magnitude. Skipped, with
 * the reason printed, when the cuda backend does not open.
 */
@Tag("gpu")
class CudnnGpuTest {

    private static Backend cuda;
    private static Backend cpu;

    @BeforeAll
    static void open() {
        try {
            cuda = Backends.get("cuda");
        } catch (RuntimeException e) {
            System.out.println("CudnnGpuTest skipped: " + e.getMessage());
        }
        Assumptions.assumeTrue(cuda != null, "the cuda backend does not open here");
        cpu = Backends.cpu();
        System.out.println("CudnnGpuTest on " + ((CudaBackend) cuda).device().describe() + ", TF32 "
                + (CudaDevice.tf32Allowed() ? "allowed" : "off"));
    }

    private static double tolerance(DType dtype) {
        return dtype == DType.F64 ? 1e-10 : CudaDevice.tf32Allowed() ? 3e-3 : 1e-4;
    }

    private static Tensor random(Generator gen, DType dtype, int... shape) {
        return Tensor.randn(gen, shape).to(dtype);
    }

    private static Tensor gpu(Tensor t) {
        return t == null ? null : t.to(cuda);
    }

    /** Fails unless every element is within {@code tolerance} times the largest expected magnitude. */
    static void assertClose(Tensor expected, Tensor actual, double tolerance, String what) {
        assertEquals(Shape.format(expected.shape()), Shape.format(actual.shape()), what + ": shape");
        double[] e = expected.toDoubleArray();
        double[] a = actual.to(cpu).toDoubleArray();
        double scale = 0;
        for (double v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(e[i] - a[i]) <= tolerance * Math.max(scale, 1e-30))) {
                throw new AssertionError(what + ": element " + i + " is " + a[i] + ", expected " + e[i]
                        + " (tolerance " + tolerance + " of " + scale + ")");
            }
        }
    }

    @Test
    void theComparisonCatchesAWrongElement() {
        Tensor expected = Tensor.of(new float[] {1, 2, 3}, 3);
        Tensor wrong = Tensor.of(new float[] {1, 2, 3.01f}, 3);
        assertThrows(AssertionError.class, () -> assertClose(expected, wrong, 1e-4, "wrong"));
    }

    /** input, weight, stride, padding, dilation, groups, bias. */
    private record Case(int[] input, int[] weight, int[] stride, int[] padding, int[] dilation, int groups,
            boolean bias) {

        ConvGeometry geometry() {
            return ConvGeometry.of(input, weight, stride, padding, dilation, groups);
        }
    }

    private static final Case[] CASES = {
        new Case(new int[] {2, 3, 9, 9}, new int[] {4, 3, 3, 3}, new int[] {1, 1}, new int[] {1, 1},
                new int[] {1, 1}, 1, true),
        new Case(new int[] {2, 8, 10, 10}, new int[] {12, 4, 3, 3}, new int[] {1, 1}, new int[] {1, 1},
                new int[] {1, 1}, 2, false),
        new Case(new int[] {2, 8, 12, 12}, new int[] {8, 1, 3, 3}, new int[] {1, 1}, new int[] {1, 1},
                new int[] {1, 1}, 8, true),
        new Case(new int[] {2, 4, 11, 11}, new int[] {6, 4, 3, 3}, new int[] {2, 2}, new int[] {1, 1},
                new int[] {1, 1}, 1, false),
        new Case(new int[] {1, 4, 13, 13}, new int[] {5, 4, 3, 3}, new int[] {1, 1}, new int[] {2, 2},
                new int[] {2, 2}, 1, true),
        new Case(new int[] {2, 3, 10, 14}, new int[] {4, 3, 3, 5}, new int[] {2, 1}, new int[] {1, 2},
                new int[] {1, 2}, 1, true),
        new Case(new int[] {4, 16, 7, 7}, new int[] {32, 16, 1, 1}, new int[] {1, 1}, new int[] {0, 0},
                new int[] {1, 1}, 1, false),
        new Case(new int[] {2, 3, 32, 32}, new int[] {8, 3, 7, 7}, new int[] {2, 2}, new int[] {3, 3},
                new int[] {1, 1}, 1, false),
    };

    @Test
    void convolutionMatchesTheCpuInEveryDirection() {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            Generator gen = new Generator(3);
            for (Case c : CASES) {
                ConvGeometry g = c.geometry();
                String what = dtype + " conv " + g;
                Tensor x = random(gen, dtype, c.input());
                Tensor w = random(gen, dtype, c.weight());
                Tensor b = c.bias() ? random(gen, dtype, c.weight()[0]) : null;
                Tensor dy = random(gen, dtype, g.outputShape());
                double tol = tolerance(dtype);
                assertClose(cpu.conv2d(x, w, b, g), cuda.conv2d(gpu(x), gpu(w), gpu(b), g), tol, what + " forward");
                assertClose(cpu.conv2dBackwardInput(dy, w, g), cuda.conv2dBackwardInput(gpu(dy), gpu(w), g), tol,
                        what + " backward input");
                assertClose(cpu.conv2dBackwardWeight(dy, x, g), cuda.conv2dBackwardWeight(gpu(dy), gpu(x), g), tol,
                        what + " backward weight");
                // Second call: the cached algorithm and descriptors give the same answer.
                assertClose(cpu.conv2d(x, w, b, g), cuda.conv2d(gpu(x), gpu(w), gpu(b), g), tol, what + " again");
            }
        }
    }

    @Test
    void batchNormTrainingMatchesTheCpuWithRunningStatistics() {
        int[][] shapes = {{4, 6, 5, 5}, {8, 10}, {3, 4, 7}};
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            Generator gen = new Generator(9);
            for (int[] shape : shapes) {
                for (boolean affine : new boolean[] {true, false}) {
                    int c = shape[1];
                    String what = dtype + " batch_norm " + Shape.format(shape)
                            + (affine ? " affine" : " plain, eps 0.5");
                    Tensor x = random(gen, dtype, shape).mul(3).add(1);
                    Tensor w = affine ? random(gen, dtype, c) : null;
                    Tensor b = affine ? random(gen, dtype, c) : null;
                    Tensor cpuMean = random(gen, dtype, c);
                    Tensor cpuVar = Tensor.rand(gen, c).add(0.5).to(dtype);
                    Tensor gpuMean = gpu(cpuMean);
                    Tensor gpuVar = gpu(cpuVar);
                    // The backward call hands cuDNN a fixed epsilon of 1e-5 (the SPI does not carry the forward's),
                    // relying on cuDNN taking the saved inverse deviation instead: an epsilon far from it checks that.
                    double eps = affine ? 1e-5 : 0.5;
                    Tensor[] expected = cpu.batchNormTrain(x, w, b, cpuMean, cpuVar, 0.1, eps);
                    Tensor[] actual = cuda.batchNormTrain(gpu(x), gpu(w), gpu(b), gpuMean, gpuVar, 0.1, eps);
                    double tol = tolerance(dtype);
                    assertClose(expected[0], actual[0], tol, what + " output");
                    assertClose(expected[1], actual[1], tol, what + " saved mean");
                    assertClose(expected[2], actual[2], tol, what + " saved inverse deviation");
                    assertClose(cpuMean, gpuMean, tol, what + " running mean");
                    assertClose(cpuVar, gpuVar, tol, what + " running variance (unbiased)");

                    Tensor dy = random(gen, dtype, shape);
                    boolean[] all = {true, true, true};
                    Tensor[] ge = cpu.batchNormBackward(dy, x, w, expected[1], expected[2], all, eps);
                    Tensor[] ga = cuda.batchNormBackward(gpu(dy), gpu(x), gpu(w), actual[1], actual[2], all, eps);
                    assertClose(ge[0], ga[0], tol, what + " grad input");
                    assertClose(ge[1], ga[1], tol, what + " grad weight");
                    assertClose(ge[2], ga[2], tol, what + " grad bias");
                    Tensor[] only = cuda.batchNormBackward(gpu(dy), gpu(x), gpu(w), actual[1], actual[2],
                            new boolean[] {false, true, false}, eps);
                    assertNull(only[0], what);
                    assertNull(only[2], what);
                    assertClose(ge[1], only[1], tol, what + " grad weight alone");
                }
            }
        }
    }

    @Test
    void batchNormWithoutRunningStatisticsLeavesNoneToUpdate() {
        Generator gen = new Generator(4);
        Tensor x = random(gen, DType.F32, 5, 3, 4, 4);
        Tensor[] expected = cpu.batchNormTrain(x, null, null, null, null, 0.1, 1e-5);
        Tensor[] actual = cuda.batchNormTrain(gpu(x), null, null, null, null, 0.1, 1e-5);
        assertClose(expected[0], actual[0], tolerance(DType.F32), "batch_norm without running statistics");
    }

    @Test
    void matmulMatchesTheCpuForEveryLayoutItTakesDirectly() {
        StridedGemmTest.View[] direct = {StridedGemmTest.View.CONTIGUOUS, StridedGemmTest.View.TRANSPOSED,
            StridedGemmTest.View.BROADCAST, StridedGemmTest.View.PADDED_ROWS, StridedGemmTest.View.PADDED_TRANSPOSED,
            StridedGemmTest.View.BROADCAST_TRANSPOSED, StridedGemmTest.View.BATCH_OFFSET};
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            Generator gen = new Generator(21);
            for (int batch : new int[] {1, 3}) {
                for (StridedGemmTest.View va : direct) {
                    for (StridedGemmTest.View vb : direct) {
                        Tensor a = onGpu(StridedGemmTest.view(va, gen, batch, 17, 33), dtype, va);
                        Tensor b = onGpu(StridedGemmTest.view(vb, gen, batch, 33, 12), dtype, vb);
                        assertClose(cpu.matmul(a.to(cpu), b.to(cpu)), cuda.matmul(a, b), tolerance(dtype),
                                dtype + " matmul batch " + batch + " " + va + " x " + vb);
                    }
                }
            }
        }
    }

    @Test
    void matmulWithAnEmptyInnerDimensionIsZero() {
        Tensor a = Tensor.zeros(2, 3, 0).to(cuda);
        Tensor b = Tensor.zeros(2, 0, 4).to(cuda);
        assertClose(Tensor.zeros(2, 3, 4), cuda.matmul(a, b), 0, "k = 0");
    }

    /** Views that need a dense copy first, through the elementwise kernels. */
    @Test
    void matmulCopiesOtherViewsFirst() {
        Generator gen = new Generator(22);
        Tensor a = onGpu(StridedGemmTest.view(StridedGemmTest.View.STRIDED_COLUMNS, gen, 2, 5, 6), DType.F32,
                StridedGemmTest.View.STRIDED_COLUMNS);
        Tensor b = random(gen, DType.F32, 2, 6, 3).to(cuda);
        assertClose(cpu.matmul(a.to(cpu), b.to(cpu)), cuda.matmul(a, b), tolerance(DType.F32), "strided columns");
    }

    /**
     * The same view built over a GPU base: the CPU view's base is uploaded, then the view's geometry applied
     * to it, so cuBLAS sees the strides under test rather than a dense upload.
     */
    private static Tensor onGpu(Tensor view, DType dtype, StridedGemmTest.View kind) {
        Tensor base = Tensor.of(view.storage(), view.storage().size()).to(dtype).to(cuda);
        Tensor t = Tensor.ofStrided(base.storage(), view.shape(), view.strides(), view.offset());
        assertEquals(kind != StridedGemmTest.View.STRIDED_COLUMNS, GemmOperand.of(t.shape(), t.strides()) != null,
                kind.name());
        return t;
    }
}
