package dev.graft.engine;

/** A backend that is installed but cannot run on this machine: the message names what is missing and where it looked. */
public final class BackendUnavailableException extends RuntimeException {
    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
