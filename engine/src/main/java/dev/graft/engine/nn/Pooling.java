package dev.graft.engine.nn;

/** Construction-time checks shared by the pooling layers; input-dependent ones happen in forward. */
final class Pooling {
    private Pooling() {
    }

    static void check(String layer, int kernelSize, int stride, int padding) {
        if (kernelSize < 1 || stride < 1 || padding < 0 || 2 * padding > kernelSize) {
            throw new IllegalArgumentException(layer + ": need kernel_size and stride >= 1 and padding in [0, "
                    + "kernel_size / 2], got kernel_size=" + kernelSize + " stride=" + stride + " padding=" + padding);
        }
    }
}
