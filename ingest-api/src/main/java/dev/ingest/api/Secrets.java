package dev.ingest.api;

import java.util.Locale;
import java.util.Objects;

/**
 * The one rule, shared by the engine and every plugin, for showing a URL in a log line, an error message or a
 * printed configuration without the credentials it may carry.
 *
 * <p>{@link #redactUrl(String)} hides
 * <ul>
 *   <li>the password of the user information ({@code https://user:password@host} shows as
 *       {@code https://user:REDACTED@host}), and the whole user information when it has no password (a lone
 *       {@code https://TOKEN@host} is usually a token): {@code https://REDACTED@host}. Without a scheme,
 *       {@code user:password@host} shows as {@code user:REDACTED@host} (a lone {@code name@host} is left alone
 *       there: it is more often an e-mail address or a file name);</li>
 *   <li>the value of every query parameter, and of every {@code name=value} pair of the fragment (OAuth puts
 *       tokens there), whose name looks like a credential: it contains, ignoring case, {@code token},
 *       {@code key}, {@code secret}, {@code sig}, {@code pass}, {@code pwd}, {@code auth}, {@code credential},
 *       {@code session} or {@code jwt}. That covers {@code access_token}, {@code api_key}, {@code apiKey},
 *       {@code X-Amz-Signature}, {@code X-Amz-Credential}, {@code X-Amz-Security-Token}, {@code sig},
 *       {@code password}, {@code client_secret} and the like; a harmless parameter with such a name is hidden
 *       too, which costs only a little detail. A value that is a template's placeholder ({@code {name}}) is
 *       kept.</li>
 * </ul>
 * Everything else is kept exactly as written, so a URL without credentials comes back unchanged.
 *
 * <p>Only static methods: nothing implements this interface. Stateless and thread-safe.
 */
public interface Secrets {

    /** What replaces a hidden value. */
    String REDACTED = "REDACTED";

    /**
     * A URL fit for logs, messages and printed configuration. The text is read leniently: anything that is
     * not a well-formed URL is still searched for user information (after {@code scheme://}) and for a query,
     * and returned unchanged when it has neither; it never throws for malformed input.
     *
     * @param url a URL (absolute or relative), or any configuration value
     * @return the same text with passwords, lone user names and credential-like parameter values replaced by
     *     {@value #REDACTED}
     * @throws NullPointerException if {@code url} is null
     */
    static String redactUrl(String url) {
        Objects.requireNonNull(url, "url");
        int length = url.length();
        StringBuilder out = new StringBuilder(length + 16);
        int pathStart = 0;
        int sep = url.indexOf("://");
        if (sep > 0 && isScheme(url, sep)) {
            int authority = sep + 3;
            int authorityEnd = indexOfAny(url, authority, "/?#");
            int at = url.lastIndexOf('@', authorityEnd - 1);
            out.append(url, 0, authority);
            if (at >= authority) {
                int colon = url.indexOf(':', authority);
                if (colon >= 0 && colon < at) {
                    out.append(url, authority, colon + 1).append(REDACTED);
                } else {
                    out.append(REDACTED);
                }
                out.append(url, at, authorityEnd);
            } else {
                out.append(url, authority, authorityEnd);
            }
            pathStart = authorityEnd;
        } else {
            // No scheme (an endpoint written host[:port]): user:password@ before any / ? # is still a password.
            int at = url.indexOf('@');
            int colon = url.indexOf(':');
            if (at > 0 && colon >= 0 && colon < at && indexOfAny(url, 0, "/?#") > at) {
                out.append(url, 0, colon + 1).append(REDACTED);
                pathStart = at;
            }
        }
        int hash = url.indexOf('#', pathStart);
        int queryEnd = hash >= 0 ? hash : length;
        int question = url.indexOf('?', pathStart);
        if (question < 0 || question > queryEnd) {
            question = queryEnd;
        }
        out.append(url, pathStart, question);
        if (question < queryEnd) {
            out.append('?');
            redactParameters(url, question + 1, queryEnd, out);
        }
        if (hash >= 0) {
            out.append('#');
            redactParameters(url, hash + 1, length, out);
        }
        return out.toString();
    }

    /** Whether {@code s[0, end)} is a URL scheme: a letter, then letters, digits, {@code + - .} and {@code :} (jdbc:postgresql). */
    private static boolean isScheme(String s, int end) {
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (!(letter || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == ':')))) {
                return false;
            }
        }
        return true;
    }

    /** The first index at or after {@code from} of one of {@code chars}, or the length of {@code s}. */
    private static int indexOfAny(String s, int from, String chars) {
        for (int i = from; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }

    /** Appends {@code s[from, to)}, {@code name=value} pairs separated by {@code &}, hiding credential values. */
    private static void redactParameters(String s, int from, int to, StringBuilder out) {
        int start = from;
        while (start <= to) {
            int amp = s.indexOf('&', start);
            int end = amp < 0 || amp > to ? to : amp;
            int eq = s.indexOf('=', start);
            if (eq >= 0 && eq < end - 1 && looksLikeCredential(s.substring(start, eq))
                    && !isPlaceholder(s.substring(eq + 1, end))) {
                out.append(s, start, eq + 1).append(REDACTED);
            } else {
                out.append(s, start, end);
            }
            if (end < to) {
                out.append('&');
            }
            start = end + 1;
        }
    }

    /** Whether a value is a template's placeholder such as {@code {name}}, which holds no secret. */
    private static boolean isPlaceholder(String value) {
        if (value.length() < 3 || value.charAt(0) != '{' || value.charAt(value.length() - 1) != '}') {
            return false;
        }
        for (int i = 1; i < value.length() - 1; i++) {
            char c = value.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** Whether a parameter name contains one of the words of the class comment, ignoring case. */
    private static boolean looksLikeCredential(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (String word : new String[] {"token", "key", "secret", "sig", "pass", "pwd", "auth", "credential",
            "session", "jwt"}) {
            if (n.contains(word)) {
                return true;
            }
        }
        return false;
    }
}
