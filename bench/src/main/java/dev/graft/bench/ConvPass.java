package dev.graft.bench;

/**
 * The three passes of a convolution, each one GEMM per image in {@code Conv2dKernels} (with
 * {@code K = c·kh·kw} and {@code P = outH·outW}): forward {@code y = w·col} ({@code outC x P x K}), backward-data
 * {@code col = wᵀ·dy} ({@code K x P x outC}, A transposed), backward-weights {@code dw = dy·colᵀ}
 * ({@code outC x K x P}, B transposed).
 */
enum ConvPass {
    FORWARD("fwd"), BACKWARD_DATA("bwdData"), BACKWARD_WEIGHT("bwdWeight");

    /** The name used in JMH parameters and result keys. */
    final String label;

    ConvPass(String label) {
        this.label = label;
    }

    static ConvPass of(String label) {
        for (ConvPass p : values()) {
            if (p.label.equals(label)) {
                return p;
            }
        }
        throw new IllegalArgumentException("conv pass: expected fwd, bwdData or bwdWeight, got '" + label + "'");
    }
}
