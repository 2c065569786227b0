package dev.graft.engine;

/** Elementwise maps of two tensors of one shape; EQUAL and GREATER produce 1/0 masks. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, EQUAL, GREATER
}
