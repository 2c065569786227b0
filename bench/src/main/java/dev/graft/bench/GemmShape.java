package dev.graft.bench;

import java.util.Locale;

/**
 * One {@code C[m x n] = op(A)·op(B)} as {@code Gemm.sgemm} is called: op(A) is {@code m x k} (stored {@code k x m}
 * when {@code transA}), op(B) is {@code k x n} (stored {@code n x k} when {@code transB}). It costs
 * {@code 2·m·n·k} FLOPs: one multiply and one add per term.
 */
record GemmShape(boolean transA, boolean transB, int m, int n, int k) {
    GemmShape {
        if (m < 1 || n < 1 || k < 1) {
            throw new IllegalArgumentException("gemm shape: m, n and k must be >= 1, got " + m + "x" + n + "x" + k);
        }
    }

    /** An untransposed product from {@code "MxNxK"}, e.g. {@code "512x512x512"}. */
    static GemmShape parse(String mxnxk) {
        String[] dims = mxnxk.split("x", -1);
        if (dims.length != 3) {
            throw new IllegalArgumentException("gemm shape: expected MxNxK, got '" + mxnxk + "'");
        }
        try {
            return new GemmShape(false, false, Integer.parseInt(dims[0]), Integer.parseInt(dims[1]),
                    Integer.parseInt(dims[2]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("gemm shape: expected MxNxK, got '" + mxnxk + "'", e);
        }
    }

    double flops() {
        return 2.0 * m * n * k;
    }

    /** Elements of the stored A: {@code m·k} either way round. */
    int sizeA() {
        return m * k;
    }

    int sizeB() {
        return k * n;
    }

    /** Leading dimension of the stored A (row length of the row-major array). */
    int lda() {
        return transA ? m : k;
    }

    int ldb() {
        return transB ? k : n;
    }

    /** {@code "NN 128x784x1152"}: N or T for each operand, then {@code m x n x k}. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s%s %dx%dx%d", transA ? "T" : "N", transB ? "T" : "N", m, n, k);
    }
}
