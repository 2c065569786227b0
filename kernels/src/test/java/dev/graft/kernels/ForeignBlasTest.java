package dev.graft.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The FFM descriptors against the C prototypes of cuBLAS's {@code cublas_api.h} (CUDA 12 and 13), written out
 * here as text and translated by an independent table of x86-64 C types to layouts.
 */
class ForeignBlasTest {

    private static final Map<String, String> PROTOTYPES = Map.of(
            "cublasCreate_v2", "cublasStatus_t cublasCreate_v2(cublasHandle_t *handle)",
            "cublasDestroy_v2", "cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)",
            "cublasSetStream_v2", "cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)",
            "cublasSetMathMode", "cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)",
            "cublasSgemm_v2", "cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa,"
                    + " cublasOperation_t transb, int m, int n, int k, const float *alpha, const float *A, int lda,"
                    + " const float *B, int ldb, const float *beta, float *C, int ldc)",
            "cublasSgemmStridedBatched", "cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle,"
                    + " cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,"
                    + " const float *alpha, const float *A, int lda, long long int strideA, const float *B, int ldb,"
                    + " long long int strideB, const float *beta, float *C, int ldc, long long int strideC,"
                    + " int batchCount)",
            "cublasDgemm_v2", "cublasStatus_t cublasDgemm_v2(cublasHandle_t handle, cublasOperation_t transa,"
                    + " cublasOperation_t transb, int m, int n, int k, const double *alpha, const double *A, int lda,"
                    + " const double *B, int ldb, const double *beta, double *C, int ldc)",
            "cublasDgemmStridedBatched", "cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t handle,"
                    + " cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,"
                    + " const double *alpha, const double *A, int lda, long long int strideA, const double *B,"
                    + " int ldb, long long int strideB, const double *beta, double *C, int ldc,"
                    + " long long int strideC, int batchCount)");

    /** A C type on x86-64 Linux: pointers and opaque handles (pointers) are addresses, enums are 4-byte ints. */
    private static MemoryLayout layoutOf(String declaration) {
        String type = declaration.strip();
        if (type.contains("*")) {
            return ADDRESS;
        }
        return switch (type) {
            case "cublasHandle_t", "cudaStream_t" -> ADDRESS;
            case "int", "cublasStatus_t", "cublasOperation_t", "cublasMath_t" -> JAVA_INT;
            case "long long int" -> JAVA_LONG;
            default -> throw new AssertionError("no layout for C type '" + type + "'");
        };
    }

    /** Parses {@code ret name(type param, ...)} into the descriptor it calls for. */
    static FunctionDescriptor descriptorOf(String prototype) {
        String head = prototype.substring(0, prototype.indexOf('('));
        String returnType = head.substring(0, head.lastIndexOf(' '));
        String parameters = prototype.substring(prototype.indexOf('(') + 1, prototype.lastIndexOf(')'));
        MemoryLayout[] arguments = Arrays.stream(parameters.split(","))
                .map(p -> p.strip().replace("const ", ""))
                .map(p -> p.substring(0, Math.max(p.lastIndexOf(' '), p.lastIndexOf('*') + 1)))
                .map(ForeignBlasTest::layoutOf)
                .toArray(MemoryLayout[]::new);
        return FunctionDescriptor.of(layoutOf(returnType), arguments);
    }

    @Test
    void everyDescriptorMatchesItsPrototype() {
        assertEquals(PROTOTYPES.keySet(), ForeignBlas.FUNCTIONS.keySet());
        PROTOTYPES.forEach((name, prototype) ->
                assertEquals(descriptorOf(prototype), ForeignBlas.FUNCTIONS.get(name), name));
        assertEquals(19, ForeignBlas.SGEMM_STRIDED_BATCHED.argumentLayouts().size() + 1);
    }

    @Test
    void theComparisonCatchesASwappedArgument() {
        FunctionDescriptor wrong = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS,
                JAVA_INT, JAVA_LONG, JAVA_INT);
        assertNotEquals(descriptorOf(PROTOTYPES.get("cublasSgemmStridedBatched")), wrong);
    }

    @Test
    void theLinkerAcceptsEveryDescriptor() {
        ForeignBlas.FUNCTIONS.forEach((name, descriptor) ->
                assertNotNull(Linker.nativeLinker().downcallHandle(descriptor), name));
    }
}
