package dev.graft.engine.cpu;

/**
 * The windows of a pooling op along one axis: output position {@code o} reads input positions
 * {@code [lo[o], hi[o])}, and an average over it divides by {@code span[o]} along this axis. Computing them
 * once per call keeps the clipping arithmetic out of the per-element loops.
 */
record PoolWindows(int[] lo, int[] hi, int[] span) {

    /**
     * Sliding windows {@code [o*stride - pad, o*stride - pad + kernel)} clipped to the input. With
     * {@code countPad} the span is PyTorch's {@code count_include_pad} divisor, the window clipped to the padded
     * input {@code [-pad, size + pad)}; without ceil mode no window reaches past that, so it is the whole kernel.
     */
    static PoolWindows sliding(int size, int out, int kernel, int stride, int pad, boolean countPad) {
        int[] lo = new int[out];
        int[] hi = new int[out];
        int[] span = new int[out];
        for (int o = 0; o < out; o++) {
            int start = o * stride - pad;
            lo[o] = Math.max(start, 0);
            hi[o] = Math.min(start + kernel, size);
            span[o] = countPad ? kernel : hi[o] - lo[o];
        }
        return new PoolWindows(lo, hi, span);
    }

    /** PyTorch's adaptive windows {@code [floor(o*size/out), ceil((o+1)*size/out))}; they overlap when out > size. */
    static PoolWindows adaptive(int size, int out) {
        int[] lo = new int[out];
        int[] hi = new int[out];
        int[] span = new int[out];
        for (int o = 0; o < out; o++) {
            lo[o] = (int) ((long) o * size / out);
            hi[o] = (int) (((long) (o + 1) * size + out - 1) / out);
            span[o] = hi[o] - lo[o];
        }
        return new PoolWindows(lo, hi, span);
    }

    int count() {
        return lo.length;
    }
}
