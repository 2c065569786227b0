package dev.graft.models.bundle;

import java.io.Serial;

/**
 * A weights file could not become a model: its type is not recognised, it is malformed, its bundle metadata is
 * invalid, or its tensors do not fit the architecture. The message names the file and the offending key and
 * values.
 */
public final class WeightsException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    public WeightsException(String message) {
        super(message);
    }

    public WeightsException(String message, Throwable cause) {
        super(message, cause);
    }
}
