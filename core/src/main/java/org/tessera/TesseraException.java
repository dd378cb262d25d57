package org.tessera;

/**
 * A failure of the engine or its environment rather than of the caller's arguments: a backend that is
 * not available, a device that does not exist, a kernel that failed to build, device out-of-memory.
 * Bad arguments (shapes, dtypes, dims) are reported with {@link IllegalArgumentException}.
 */
public class TesseraException extends RuntimeException {
    public TesseraException(String message) {
        super(message);
    }

    public TesseraException(String message, Throwable cause) {
        super(message, cause);
    }
}
