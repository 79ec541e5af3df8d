package dev.ingest.plugin.http;

import dev.ingest.api.Secrets;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import okhttp3.HttpUrl;

/**
 * A URL with placeholders: {@code https://files.example.com/up/{name}}, {@code {url}}, {@code /files/{id}}.
 *
 * <ul>
 *   <li>{@code {url}} is replaced by an object's URL as it is (use it alone or as the start of the template);</li>
 *   <li>{@code {id}} and {@code {name}} are percent-encoded one path segment at a time: every byte of their
 *       UTF-8 form except letters, digits, {@code - . _ ~} becomes {@code %XX}, and {@code /} is kept as the
 *       segment separator. {@code "dossier é/a b.txt"} becomes {@code dossier%20%C3%A9/a%20b.txt}.</li>
 * </ul>
 *
 * <p>A value with an empty, {@code .} or {@code ..} segment is refused: HTTP clients and servers resolve such
 * segments, so the request could land outside the intended path. The expanded text is resolved against a base
 * URL, so a template may be relative ({@code /files/{id}}).
 *
 * <p>Immutable and thread-safe.
 */
final class UrlTemplate {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z]*)}");
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final String template;

    private UrlTemplate(String template) {
        this.template = template;
    }

    /**
     * Parses a template.
     *
     * @param template the text
     * @param allowed the placeholder names it may use, without braces
     * @param problems receives one message per problem (without the key)
     * @return the template
     */
    static UrlTemplate parse(String template, Set<String> allowed, List<String> problems) {
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            if (!allowed.contains(m.group(1))) {
                problems.add("unknown placeholder {" + m.group(1) + "} in '" + Secrets.redactUrl(template) + "' (allowed: "
                        + String.join(", ", allowed.stream().sorted().map(a -> "{" + a + "}").toList()) + ")");
            }
        }
        return new UrlTemplate(template);
    }

    /**
     * @param placeholder a name without braces
     * @return whether the template uses it
     */
    boolean uses(String placeholder) {
        return template.contains("{" + placeholder + "}");
    }

    /**
     * Whether the placeholder stands in the path: before any {@code ?} or {@code #}.
     *
     * @param placeholder a name without braces
     * @return true if it appears and only in the path
     */
    boolean usesInPath(String placeholder) {
        int at = template.indexOf("{" + placeholder + "}");
        int query = indexOfAny(template, "?#");
        return at >= 0 && (query < 0 || template.lastIndexOf("{" + placeholder + "}") < query);
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Expands the template and resolves it.
     *
     * @param base the URL a relative result is resolved against
     * @param values placeholder values: {@code url} is inserted as is, the others are encoded per path segment
     * @return the URL, or {@code null} if the result is not a valid http(s) URL
     * @throws IllegalArgumentException if an encoded value has an empty, {@code .} or {@code ..} segment
     */
    HttpUrl expand(HttpUrl base, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String key = m.group(1);
            String value = values.get(key);
            if (value == null) {
                throw new IllegalArgumentException("no value for {" + key + "}");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(key.equals("url") ? value : encodePath(value)));
        }
        m.appendTail(out);
        return base.resolve(out.toString());
    }

    /**
     * Percent-encodes a slash-separated value segment by segment.
     *
     * @param value for example {@code "dossier é/a b.txt"}
     * @return {@code "dossier%20%C3%A9/a%20b.txt"}
     * @throws IllegalArgumentException if the value is empty or has an empty, {@code .} or {@code ..} segment
     */
    static String encodePath(String value) {
        String why = whyUnsafe(value);
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }

    /**
     * @param value a slash-separated name
     * @return why it cannot be placed in a URL path, or {@code null} when it can
     */
    static String whyUnsafe(String value) {
        if (value.isEmpty()) {
            return "it is empty";
        }
        for (String segment : value.split("/", -1)) {
            if (segment.isEmpty()) {
                return value.startsWith("/") ? "it starts with '/'" : "it contains an empty path segment ('//' or a trailing '/')";
            }
            if (segment.equals(".") || segment.equals("..")) {
                return "it contains a '" + segment + "' path segment";
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return template;
    }
}
