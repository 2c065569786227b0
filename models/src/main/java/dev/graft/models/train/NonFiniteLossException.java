package dev.graft.models.train;

/** A training loss became NaN or infinite; the run stops and keeps its last good checkpoint. */
public final class NonFiniteLossException extends RuntimeException {
    NonFiniteLossException(String message) {
        super(message);
    }
}
