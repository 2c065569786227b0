package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Device memory, the caching allocator and both cuBLAS bindings on a real GPU; skipped without one. */
@Tag("gpu")
class CudaGpuTest {

    private static CudaLibraries.Available libraries;
    private static CUstream stream;

    @BeforeAll
    static void device() {
        CudaLibraries.Probe probe = CudaLibraries.probe();
        if (probe instanceof CudaLibraries.Unavailable(String message)) {
            System.out.println("CudaGpuTest skipped: " + message);
        }
        Assumptions.assumeTrue(probe instanceof CudaLibraries.Available, "no usable CUDA device");
        libraries = (CudaLibraries.Available) probe;
        System.out.println("CudaGpuTest on " + libraries.describe());
        CUdevice device = new CUdevice();
        CudaException.checkDriver(JCudaDriver.cuDeviceGet(device, 0), "cuDeviceGet(0)");
        CUcontext context = new CUcontext();
        CudaException.checkDriver(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        CudaException.checkDriver(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
        stream = new CUstream();
        CudaException.checkDriver(JCudaDriver.cuStreamCreate(stream, 0), "cuStreamCreate");
    }

    private static long upload(CachingAllocator allocator, float[] values) {
        long address = allocator.allocate(4L * values.length);
        CudaException.checkDriver(JCudaDriver.cuMemcpyHtoD(DeviceAddress.at(address), Pointer.to(values),
                4L * values.length), "cuMemcpyHtoD");
        return address;
    }

    private static float[] download(long address, int length) {
        float[] values = new float[length];
        CudaException.checkDriver(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
        CudaException.checkDriver(JCudaDriver.cuMemcpyDtoH(Pointer.to(values), DeviceAddress.at(address),
                4L * length), "cuMemcpyDtoH");
        return values;
    }

    @Test
    void allocatorMemoryHoldsWhatIsCopiedIn() {
        CachingAllocator allocator = new CachingAllocator(new DriverMemory());
        float[] values = randomFloats(new Random(1), 1000);
        long address = upload(allocator, values);
        assertArrayEquals(values, download(address, values.length));
        allocator.free(address);
        allocator.emptyCache();
        assertEquals(0, allocator.statistics().reserved());
    }

    /** Every binding that opens here, so both are checked where both exist. */
    private static List<Blas> bindings() {
        List<Blas> opened = new ArrayList<>();
        List<Function<CudaLibraries.CublasFiles, Blas>> openers = List.of(JCublasBlas::open, ForeignBlas::open);
        for (CudaLibraries.CublasFiles files : libraries.cublas()) {
            for (Function<CudaLibraries.CublasFiles, Blas> open : openers) {
                if (files.major() != 12 && open == openers.getFirst()) {
                    continue; // JCublas2's natives need libcublas.so.12; a failed try would poison its class
                }
                try {
                    opened.add(open.apply(files));
                } catch (LinkageError | RuntimeException e) {
                    System.out.println("CudaGpuTest: binding over " + files.cublas() + " not available: " + e);
                }
            }
        }
        return opened;
    }

    @Test
    void sgemmMatchesAHostReferenceInEveryBindingAndTransposition() {
        BlasLoader.Choice choice = BlasLoader.open(libraries);
        System.out.println("CudaGpuTest: " + choice.description());
        choice.blas().close();
        CachingAllocator allocator = new CachingAllocator(new DriverMemory());
        Random random = new Random(7);
        int m = 37;
        int n = 29;
        int k = 53;
        float[] a = randomFloats(random, m * k);
        float[] b = randomFloats(random, k * n);
        List<Blas> bindings = bindings();
        assertTrue(!bindings.isEmpty(), "at least one binding opens");
        for (Blas blas : bindings) {
            blas.setStream(stream);
            blas.setTf32(false);
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    int lda = transA ? k : m;
                    int ldb = transB ? n : k;
                    long da = upload(allocator, a);
                    long db = upload(allocator, b);
                    long dc = upload(allocator, new float[m * n]);
                    blas.sgemm(transA, transB, m, n, k, 1.5f, da, lda, db, ldb, 0f, dc, m);
                    float[] expected = reference(transA, transB, m, n, k, 1.5f, a, lda, b, ldb);
                    assertClose(expected, download(dc, m * n), blas.description() + " " + transA + "," + transB);
                    allocator.free(da);
                    allocator.free(db);
                    allocator.free(dc);
                }
            }
            CudaException e = assertThrows(CudaException.class,
                    () -> blas.sgemm(false, false, m, n, k, 1f, 0, m - 1, 0, k, 0f, 0, m));
            assertTrue(e.getMessage().contains("CUBLAS_STATUS_INVALID_VALUE") && e.getMessage().contains("lda=36"),
                    e.getMessage());
            blas.close();
        }
    }

    @Test
    void stridedBatchedSgemmMatchesOneGemmPerMatrix() {
        CachingAllocator allocator = new CachingAllocator(new DriverMemory());
        Random random = new Random(11);
        int m = 16;
        int n = 9;
        int k = 24;
        int batch = 5;
        float[] a = randomFloats(random, batch * m * k);
        float[] b = randomFloats(random, batch * k * n);
        for (Blas blas : bindings()) {
            blas.setStream(stream);
            long da = upload(allocator, a);
            long db = upload(allocator, b);
            long dc = upload(allocator, new float[batch * m * n]);
            blas.sgemmStridedBatched(false, false, m, n, k, 1f, da, m, (long) m * k, db, k, (long) k * n, 0f, dc, m,
                    (long) m * n, batch);
            float[] result = download(dc, batch * m * n);
            for (int i = 0; i < batch; i++) {
                float[] ai = Arrays.copyOfRange(a, i * m * k, (i + 1) * m * k);
                float[] bi = Arrays.copyOfRange(b, i * k * n, (i + 1) * k * n);
                assertClose(reference(false, false, m, n, k, 1f, ai, m, bi, k),
                        Arrays.copyOfRange(result, i * m * n, (i + 1) * m * n), blas.description() + " #" + i);
            }
            allocator.free(da);
            allocator.free(db);
            allocator.free(dc);
            blas.close();
        }
    }

    private static float[] randomFloats(Random random, int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    /** Column-major reference in double precision. */
    private static float[] reference(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a,
            int lda, float[] b, int ldb) {
        float[] c = new float[m * n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    double x = transA ? a[p + i * lda] : a[i + p * lda];
                    double y = transB ? b[j + p * ldb] : b[p + j * ldb];
                    sum += x * y;
                }
                c[i + j * m] = (float) (alpha * sum);
            }
        }
        return c;
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(expected[i] - actual[i]) > 1e-4 * scale + 1e-6) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }
}
