package dev.graft.weights;

import java.io.Serial;

/**
 * A checkpoint could not be read: it is not a checkpoint, it is truncated or corrupt, or it asks for something
 * graft refuses to do (such as unpickling a global outside the allow-list). The message names the file and the
 * offending detail.
 */
public final class CheckpointFormatException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    public CheckpointFormatException(String message) {
        super(message);
    }
}
