package dev.ingest.plugin.http;

import dev.ingest.api.PoisonException;
import dev.ingest.api.Secrets;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import okhttp3.HttpUrl;
import okhttp3.Response;

/**
 * Turns HTTP answers and I/O failures into the SPI's two kinds of errors, with messages that name the request
 * but never a credential:
 *
 * <ul>
 *   <li>5xx, 408, 429 and I/O errors (refused connections, timeouts, truncated bodies) are {@link IOException}s:
 *       the engine retries them. A {@code Retry-After} is quoted in the message; the engine does its own
 *       backoff.</li>
 *   <li>every other 4xx is a {@link PoisonException}: the same request will never succeed.</li>
 *   <li>anything else that is not 2xx (an unfollowed 3xx) is an {@link IOException}.</li>
 * </ul>
 *
 * <p>Timeouts are reported as plain {@code IOException}s rather than as {@link java.net.SocketTimeoutException}
 * (an {@link InterruptedIOException}), so that the engine does not mistake them for a shutdown. Only a thread
 * that really is interrupted gets an {@code InterruptedIOException}.
 */
final class HttpFailures {

    private static final int BODY_SNIPPET = 200;

    private HttpFailures() {
    }

    /**
     * The error for a response that is not 2xx.
     *
     * @param method the request method
     * @param response the response; its body is peeked, not consumed, and not closed
     * @return a {@link PoisonException} for 4xx other than 408 and 429, else an {@link IOException}
     */
    static IOException forStatus(String method, Response response) {
        int code = response.code();
        String message = method + " " + forLog(response.request().url()) + " answered HTTP " + code
                + reason(response) + retryAfter(response) + bodySnippet(response);
        if (isRetryable(code) || code < 400 || code >= 600) {
            return new IOException(message);
        }
        return new PoisonException(message);
    }

    /**
     * @param code an HTTP status code
     * @return whether the same request may succeed later
     */
    static boolean isRetryable(int code) {
        return code >= 500 || code == 408 || code == 429;
    }

    /**
     * Wraps an I/O failure of a call with the request it belongs to.
     *
     * @param method the request method
     * @param url the request URL
     * @param e the failure
     * @return a {@link PoisonException} unchanged; an {@link InterruptedIOException} unchanged when the thread is
     *     interrupted; otherwise a plain {@link IOException} naming the request, with {@code e} as its cause
     */
    static IOException io(String method, HttpUrl url, IOException e) {
        if (e instanceof PoisonException || interrupted(e)) {
            return e;
        }
        String what = e instanceof InterruptedIOException ? "timed out" : "failed";
        return new IOException(method + " " + forLog(url) + " " + what + ": " + e, e);
    }

    private static boolean interrupted(IOException e) {
        return e instanceof InterruptedIOException && Thread.currentThread().isInterrupted();
    }

    /**
     * A stream that reports read failures with the URL they came from and never lets a timeout pass for an
     * interrupt (see the class comment).
     *
     * @param in the response body's stream; closed with the returned stream
     * @param url the URL being read
     * @return the wrapped stream
     */
    static InputStream guard(InputStream in, HttpUrl url) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (IOException e) {
                    throw reading(e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (IOException e) {
                    throw reading(e);
                }
            }

            @Override
            public long skip(long n) throws IOException {
                try {
                    return super.skip(n);
                } catch (IOException e) {
                    throw reading(e);
                }
            }

            private IOException reading(IOException e) {
                if (e instanceof PoisonException || interrupted(e)) {
                    return e;
                }
                String what = e instanceof InterruptedIOException ? "timed out" : "failed";
                return new IOException("reading the body of GET " + forLog(url) + " " + what + ": " + e, e);
            }
        };
    }

    private static String reason(Response response) {
        String message = response.message();
        return message == null || message.isBlank() ? "" : " " + message;
    }

    /**
     * @return {@code " (Retry-After: 30 s)"} when the response carries the header as seconds or as a date, else
     *     empty
     */
    private static String retryAfter(Response response) {
        String value = response.header("Retry-After");
        if (value == null || value.isBlank()) {
            return "";
        }
        String v = value.trim();
        if (v.chars().allMatch(Character::isDigit) && v.length() < 10) {
            return " (Retry-After: " + Long.parseLong(v) + " s)";
        }
        Date date = response.headers().getDate("Retry-After");
        if (date != null) {
            long seconds = Math.max(0, Duration.between(Instant.now(), date.toInstant()).toSeconds());
            return " (Retry-After: " + seconds + " s)";
        }
        return "";
    }

    private static String bodySnippet(Response response) {
        try {
            String text = response.peekBody(BODY_SNIPPET * 4L).string();
            text = text.replaceAll("[\\p{Cntrl}\\s]+", " ").trim();
            if (text.isEmpty()) {
                return "";
            }
            return ": " + (text.length() > BODY_SNIPPET ? text.substring(0, BODY_SNIPPET) + "..." : text);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * A URL fit for messages and logs, by the project's one rule ({@link Secrets#redactUrl(String)}): without a
     * password and with the values of query parameters that look like credentials ({@code token}, {@code key},
     * {@code signature}...) replaced by {@code REDACTED}.
     *
     * @param url the URL
     * @return the printable form
     */
    static String forLog(HttpUrl url) {
        return url == null ? "(no URL)" : Secrets.redactUrl(url.toString());
    }
}
