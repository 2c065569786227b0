package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import jcuda.driver.CUstream;
import org.junit.jupiter.api.Test;

/** The choice between JCublas2 and the FFM binding, with both loaders faked. */
class BlasLoaderTest {

    private static final CudaLibraries.CublasFiles CUBLAS_12 = new CudaLibraries.CublasFiles(12,
            Path.of("/cuda12/libcublas.so.12"), Path.of("/cuda12/libcublasLt.so.12"));
    private static final CudaLibraries.CublasFiles CUBLAS_13 = new CudaLibraries.CublasFiles(13,
            Path.of("/cu13/libcublas.so.13"), Path.of("/cu13/libcublasLt.so.13"));

    private final List<String> opened = new ArrayList<>();

    private static CudaLibraries.Available libraries(CudaLibraries.CublasFiles... cublas) {
        return new CudaLibraries.Available(Path.of("/lib/libcuda.so.1"), Path.of("/cudnn/libcudnn.so.9"), List.of(cublas));
    }

    private Function<CudaLibraries.CublasFiles, Blas> working(String binding) {
        return files -> {
            opened.add(binding + " " + files.major());
            return new FakeBlas(binding + " over " + files.cublas());
        };
    }

    private Function<CudaLibraries.CublasFiles, Blas> failing(Throwable failure) {
        return files -> {
            opened.add("failing " + files.major());
            if (failure instanceof Error error) {
                throw error;
            }
            throw (RuntimeException) failure;
        };
    }

    @Test
    void picksJCublas2WhenCublas12IsThereAndLoads() {
        BlasLoader.Choice choice = BlasLoader.first(
                BlasLoader.candidates(libraries(CUBLAS_13, CUBLAS_12), working("JCublas2"), working("FFM")));
        assertEquals("cuBLAS: JCublas2 over /cuda12/libcublas.so.12", choice.description());
        assertEquals(List.of("JCublas2 12"), opened);
    }

    @Test
    void fallsBackToFfmOverTheNewestCublasWhenJCublas2CannotLoad() {
        BlasLoader.Choice choice = BlasLoader.first(BlasLoader.candidates(libraries(CUBLAS_13, CUBLAS_12),
                failing(new UnsatisfiedLinkError("libcublas.so.12: version `libcublas.so.12' not found")),
                working("FFM")));
        assertEquals(List.of("failing 12", "FFM 13"), opened);
        assertEquals("cuBLAS: FFM over /cu13/libcublas.so.13 (JCublas2 over /cuda12/libcublas.so.12 failed:"
                + " java.lang.UnsatisfiedLinkError: libcublas.so.12: version `libcublas.so.12' not found)",
                choice.description());
    }

    @Test
    void onlyCublas13MeansFfmWithoutTryingJCublas2() {
        BlasLoader.Choice choice = BlasLoader.first(
                BlasLoader.candidates(libraries(CUBLAS_13), working("JCublas2"), working("FFM")));
        assertEquals(List.of("FFM 13"), opened);
        assertEquals("cuBLAS: FFM over /cu13/libcublas.so.13", choice.description());
    }

    @Test
    void onlyCublas12TriesJCublas2ThenFfmOverTheSameLibrary() {
        BlasLoader.first(BlasLoader.candidates(libraries(CUBLAS_12),
                failing(new CudaException(CudaException.Library.CUBLAS, 1, "cublasCreate")), working("FFM")));
        assertEquals(List.of("failing 12", "FFM 12"), opened);
    }

    @Test
    void whenNothingOpensTheErrorNamesEveryAttempt() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BlasLoader.first(BlasLoader.candidates(libraries(CUBLAS_13, CUBLAS_12),
                        failing(new UnsatisfiedLinkError("no JCublas2")),
                        failing(new IllegalArgumentException("Cannot open library")))));
        assertTrue(e.getMessage().contains("JCublas2 over /cuda12/libcublas.so.12 failed:"
                + " java.lang.UnsatisfiedLinkError: no JCublas2"), e.getMessage());
        assertTrue(e.getMessage().contains("FFM binding over /cu13/libcublas.so.13 failed:"
                + " java.lang.IllegalArgumentException: Cannot open library"), e.getMessage());
    }

    @Test
    void theFirstWorkingCandidateIsReturnedAsIs() {
        FakeBlas blas = new FakeBlas("only");
        assertSame(blas, BlasLoader.first(List.of(new BlasLoader.Candidate("only", () -> blas))).blas());
        assertThrows(IllegalStateException.class, () -> BlasLoader.first(List.of()));
    }

    private record FakeBlas(String description) implements Blas {
        @Override
        public void setStream(CUstream stream) {
        }

        @Override
        public void setTf32(boolean allowed) {
        }

        @Override
        public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b,
                int ldb, float beta, long c, int ldc) {
        }

        @Override
        public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a,
                int lda, long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC,
                int batchCount) {
        }

        @Override
        public void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, long a, int lda, long b,
                int ldb, double beta, long c, int ldc) {
        }

        @Override
        public void dgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, double alpha, long a,
                int lda, long strideA, long b, int ldb, long strideB, double beta, long c, int ldc, long strideC,
                int batchCount) {
        }

        @Override
        public void close() {
        }
    }
}
