package dev.graft.engine.cpu;

/**
 * Comparisons of an F32 kernel's output with an F64 reference twin computed from the same (float) inputs.
 * Each failure names the kernel, the element and both values. NaN must meet NaN, infinities must be equal.
 */
final class F32Checks {
    private F32Checks() {
    }

    /** Every element is exactly the reference rounded to float, bit for bit (so the sign of zero counts too). */
    static void assertRounded(String what, double[] reference, float[] actual) {
        requireSameLength(what, reference.length, actual.length);
        for (int i = 0; i < reference.length; i++) {
            if (Float.floatToIntBits((float) reference[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError(what + " differs at " + i + ": F64 " + reference[i] + " rounds to "
                        + (float) reference[i] + ", F32 gave " + actual[i]);
            }
        }
    }

    /**
     * Every element is within {@code relTol · scale[i]} of the reference, where {@code scale[i]} is the size of the
     * terms that produced it (so cancellation is judged against what was cancelled).
     */
    static void assertClose(String what, double[] reference, float[] actual, double relTol, double[] scale) {
        requireSameLength(what, reference.length, actual.length);
        for (int i = 0; i < reference.length; i++) {
            double r = reference[i];
            double a = actual[i];
            boolean ok = Double.isNaN(r) ? Double.isNaN(a)
                    : Double.isInfinite(r) ? r == a
                    : Math.abs(a - r) <= relTol * scale[i];
            if (!ok) {
                throw new AssertionError(what + " differs at " + i + ": F64 " + r + ", F32 " + actual[i] + " (allowed "
                        + relTol * scale[i] + ")");
            }
        }
    }

    /** A copy of {@code x} with element {@code i} moved by one ulp (a non-finite one set to 0): a checker must catch it. */
    static float[] perturbed(float[] x, int i) {
        float[] y = x.clone();
        y[i] = Float.isFinite(y[i]) ? Math.nextUp(y[i]) : 0f;
        return y;
    }

    /** A copy of {@code x} with {@code delta} added to element {@code i} (a non-finite one set to 0). */
    static float[] perturbed(float[] x, int i, double delta) {
        float[] y = x.clone();
        y[i] = Float.isFinite(y[i]) ? (float) (y[i] + delta) : 0f;
        return y;
    }

    private static void requireSameLength(String what, int expected, int actual) {
        if (expected != actual) {
            throw new AssertionError(what + ": F32 result has " + actual + " elements, F64 has " + expected);
        }
    }
}
