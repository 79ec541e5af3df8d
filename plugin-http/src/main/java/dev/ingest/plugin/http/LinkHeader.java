package dev.ingest.plugin.http;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads the {@code next} link of RFC 8288 {@code Link} headers:
 * {@code Link: <https://api.example.com/items?page=2>; rel="next", <...>; rel="last"}.
 *
 * <p>Accepts several headers and several links per header, quoted and unquoted parameter values, and
 * space-separated relation types ({@code rel="next last"}). Relation types are compared case-insensitively.
 */
final class LinkHeader {

    private LinkHeader() {
    }

    /**
     * @param values the values of every {@code Link} header of a response
     * @return the target of the first link with relation type {@code next}, as written (possibly relative)
     */
    static Optional<String> next(List<String> values) {
        for (String value : values) {
            Optional<String> found = next(value);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> next(String header) {
        int i = 0;
        int n = header.length();
        while (i < n) {
            int open = header.indexOf('<', i);
            if (open < 0) {
                return Optional.empty();
            }
            int close = header.indexOf('>', open + 1);
            if (close < 0) {
                return Optional.empty();
            }
            String target = header.substring(open + 1, close).trim();
            i = close + 1;
            boolean isNext = false;
            // parameters: ; name [= value], until a ',' outside quotes or the end
            while (i < n) {
                i = skipSpaces(header, i);
                if (i >= n || header.charAt(i) != ';') {
                    break;
                }
                i = skipSpaces(header, i + 1);
                int nameStart = i;
                while (i < n && "=;,".indexOf(header.charAt(i)) < 0) {
                    i++;
                }
                String name = header.substring(nameStart, i).trim();
                String value = "";
                if (i < n && header.charAt(i) == '=') {
                    i = skipSpaces(header, i + 1);
                    if (i < n && header.charAt(i) == '"') {
                        StringBuilder v = new StringBuilder();
                        i++;
                        while (i < n && header.charAt(i) != '"') {
                            if (header.charAt(i) == '\\' && i + 1 < n) {
                                i++;
                            }
                            v.append(header.charAt(i++));
                        }
                        i++; // closing quote
                        value = v.toString();
                    } else {
                        int valueStart = i;
                        while (i < n && ";,".indexOf(header.charAt(i)) < 0) {
                            i++;
                        }
                        value = header.substring(valueStart, i).trim();
                    }
                }
                if (name.equalsIgnoreCase("rel")) {
                    for (String rel : value.trim().split("\\s+")) {
                        if (rel.toLowerCase(Locale.ROOT).equals("next")) {
                            isNext = true;
                        }
                    }
                }
            }
            if (isNext && !target.isEmpty()) {
                return Optional.of(target);
            }
            // skip to the next link
            while (i < n && header.charAt(i) != ',') {
                i++;
            }
            i++;
        }
        return Optional.empty();
    }

    private static int skipSpaces(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }
}
