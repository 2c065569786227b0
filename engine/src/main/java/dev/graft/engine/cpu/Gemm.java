package dev.graft.engine.cpu;

// TEMPORARY naive stand-in until helper-1's kernel lands.
public final class Gemm {
    public static void sgemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                             float[] c, int co, int ldc, boolean acc) {
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double s = acc ? c[co + i * ldc + j] : 0;
            for (int p = 0; p < k; p++) s += a[ao + (ta ? p * lda + i : i * lda + p)] * b[bo + (tb ? j * ldb + p : p * ldb + j)];
            c[co + i * ldc + j] = (float) s;
        }
    }
    public static void dgemm(boolean ta, boolean tb, int m, int n, int k, double[] a, int ao, int lda, double[] b, int bo, int ldb,
                             double[] c, int co, int ldc, boolean acc) {
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double s = acc ? c[co + i * ldc + j] : 0;
            for (int p = 0; p < k; p++) s += a[ao + (ta ? p * lda + i : i * lda + p)] * b[bo + (tb ? j * ldb + p : p * ldb + j)];
            c[co + i * ldc + j] = s;
        }
    }
}
