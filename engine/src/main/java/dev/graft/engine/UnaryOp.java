package dev.graft.engine;

/**
 * Elementwise maps of one tensor, parameterised by up to two scalars {@code a} and {@code b}. The mask
 * ops produce 1 where the condition holds and 0 elsewhere; autograd uses them for derivatives.
 */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, ABS, SIGN, RELU,
    /** x^a */
    POW,
    /** min(max(x, a), b) */
    CLAMP,
    /** a·x + b */
    AFFINE,
    /** x > a */
    GREATER,
    /** a ≤ x ≤ b */
    BETWEEN
}
