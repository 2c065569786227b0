package dev.graft.engine.safetensors;

/**
 * A safetensors file that is malformed, or that holds something graft cannot represent. The message names
 * the file and the offending tensor or header field with its values.
 */
public final class SafetensorsFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    SafetensorsFormatException(String message) {
        super(message);
    }

    SafetensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
