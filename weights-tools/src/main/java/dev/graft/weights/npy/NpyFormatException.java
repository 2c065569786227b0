package dev.graft.weights.npy;

/**
 * A .npy file that is malformed or holds something graft does not read (big-endian or Fortran-ordered data,
 * object or structured arrays). The message is one line naming the file and the problem.
 */
public final class NpyFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    NpyFormatException(String message) {
        super(message);
    }
}
