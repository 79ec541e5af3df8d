package dev.ingest.plugin.s3;

import dev.ingest.api.PoisonException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;

/**
 * Turns the SDK's unchecked exceptions into the SPI's: {@link IOException} (retry later),
 * {@link PoisonException} (never succeeds) or {@link InterruptedIOException} (the copy was interrupted by a
 * shutdown). Messages say what was being done, to which object, where, and what S3 answered (status, error
 * code, message, request id); they never contain credentials.
 */
final class S3Errors {

    /** 400 codes that mean the object itself can never be stored here. */
    private static final Set<String> PERMANENT_STORE_CODES = Set.of(
            "KeyTooLongError", "InvalidObjectName", "XMinioInvalidObjectName", "EntityTooLarge", "MetadataTooLarge");

    private S3Errors() {
    }

    /**
     * The HTTP status of a service error.
     *
     * @param e an SDK exception
     * @return the status, or 0 when S3 did not answer (a connection failure, a client-side error)
     */
    static int status(SdkException e) {
        return e instanceof SdkServiceException s ? s.statusCode() : 0;
    }

    /**
     * The S3 error code, such as {@code NoSuchKey}.
     *
     * @param e an SDK exception
     * @return the code, or an empty string (HEAD answers carry none)
     */
    static String code(SdkException e) {
        if (e instanceof AwsServiceException a && a.awsErrorDetails() != null && a.awsErrorDetails().errorCode() != null) {
            return a.awsErrorDetails().errorCode();
        }
        return "";
    }

    /**
     * Whether S3 answered 404.
     *
     * @param e an SDK exception
     * @return true for NoSuchKey, NoSuchBucket and HEAD 404s
     */
    static boolean notFound(SdkException e) {
        return status(e) == 404;
    }

    /**
     * What S3 said, or why it could not be asked.
     *
     * @param e an SDK exception
     * @return e.g. {@code HTTP 503 SlowDown: Please reduce your request rate. (request id 4F2...)}
     */
    static String describe(SdkException e) {
        if (e instanceof AwsServiceException a) {
            StringBuilder sb = new StringBuilder("HTTP ").append(a.statusCode());
            String code = code(e);
            if (!code.isEmpty()) {
                sb.append(' ').append(code);
            }
            String message = a.awsErrorDetails() == null ? null : a.awsErrorDetails().errorMessage();
            if (message != null && !message.isBlank()) {
                sb.append(": ").append(message);
            }
            if (a.requestId() != null && !a.requestId().isBlank()) {
                sb.append(" (request id ").append(a.requestId()).append(')');
            }
            return sb.toString();
        }
        if (e instanceof SdkServiceException s) {
            return "HTTP " + s.statusCode() + ": " + s.getMessage();
        }
        return rootMessage(e);
    }

    private static String rootMessage(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause != e && cause.getMessage() != null && !message.contains(cause.getMessage())) {
            message = message + " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")";
        }
        return message;
    }

    /**
     * Whether the failure is a shutdown interrupting the calling thread.
     *
     * @param e a failure
     * @return true if the thread was interrupted
     */
    static boolean interrupted(Throwable e) {
        if (e instanceof AbortedException || Thread.currentThread().isInterrupted()) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InterruptedException) {
                return true;
            }
        }
        return false;
    }

    /**
     * A retryable failure (or an interruption).
     *
     * @param what what was being done, e.g. {@code "listing s3://b/p at http://host:9000"}
     * @param e the SDK's exception
     * @return the exception to throw
     */
    static IOException retryable(String what, SdkException e) {
        if (interrupted(e)) {
            return interruption(what, e);
        }
        return new IOException(what + " failed: " + describe(e), e);
    }

    /**
     * A failure to store an object: poison when S3 refused the object for good (its key is too long, it is too
     * large), retryable otherwise (throttling, 5xx, connection failures, 403 which credentials or a policy may
     * fix).
     *
     * @param what what was being done
     * @param e the SDK's exception
     * @return the exception to throw
     */
    static IOException storing(String what, SdkException e) {
        if (status(e) == 400 && PERMANENT_STORE_CODES.contains(code(e))) {
            return new PoisonException(what + " was refused for good: " + describe(e), e);
        }
        return retryable(what, e);
    }

    /**
     * Whether a server-side copy failed because of its source, so that streaming the object may still work: the
     * source is forbidden ({@code 403}) or missing ({@code 404}) for the destination's credentials, it changed
     * since it was listed ({@code 412}, the copy being conditional on its ETag), or the store does not implement
     * copies ({@code 501 NotImplemented}).
     *
     * @param e the SDK's exception from CopyObject or UploadPartCopy
     * @return true if the object should be streamed instead
     */
    static boolean copySourceUnavailable(SdkException e) {
        if (interrupted(e)) {
            return false;
        }
        int status = status(e);
        return status == 403 || status == 404 || status == 412 || status == 501 || "NotImplemented".equals(code(e));
    }

    /**
     * Wraps an interruption so that the engine hands the message back to the queue. Restores the thread's
     * interrupt status, which the SDK clears when it aborts a call: the engine tells a shutdown from a socket
     * timeout (also an {@link InterruptedIOException}) by that status.
     *
     * @param what what was being done
     * @param cause the failure
     * @return the exception to throw
     */
    static InterruptedIOException interruption(String what, Throwable cause) {
        Thread.currentThread().interrupt();
        InterruptedIOException e = new InterruptedIOException(what + " was interrupted");
        e.initCause(cause);
        return e;
    }
}
