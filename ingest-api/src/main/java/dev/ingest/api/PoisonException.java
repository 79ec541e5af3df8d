package dev.ingest.api;

import java.io.IOException;

/**
 * This item can never succeed: retrying it is pointless. The dequeuer dead-letters the message with this
 * exception's message as the reason, and carries on with the others.
 *
 * <p>It extends {@link IOException} so that plugin methods declared {@code throws IOException} can raise it;
 * any other {@code IOException} means "retry later".
 */
public class PoisonException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message why the item can never succeed, naming the object
     */
    public PoisonException(String message) {
        super(message);
    }

    /**
     * @param message why the item can never succeed, naming the object
     * @param cause the underlying failure
     */
    public PoisonException(String message, Throwable cause) {
        super(message, cause);
    }
}
