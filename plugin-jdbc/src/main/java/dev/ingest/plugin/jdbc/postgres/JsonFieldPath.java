package dev.ingest.plugin.jdbc.postgres;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A field of a record: a top-level field name ({@code level}) or a JSON pointer ({@code /metadata/parentResourceId}).
 * Knows both its Jackson pointer (to read it from a parsed record) and its path of keys (a {@code text[]} parameter
 * for PostgreSQL's {@code #>>}). Immutable.
 *
 * @param text what the user wrote
 * @param pointer the pointer
 * @param path the keys, in order
 */
record JsonFieldPath(String text, JsonPointer pointer, List<String> path) {

    static JsonFieldPath parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("must be a field name or a JSON pointer, got ''");
        }
        if (!text.startsWith("/")) {
            return new JsonFieldPath(text, JsonPointer.compile("/" + text.replace("~", "~0").replace("/", "~1")),
                    List.of(text));
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '~' && (i + 1 == text.length() || "01".indexOf(text.charAt(i + 1)) < 0)) {
                throw new IllegalArgumentException("'" + text + "' is not a JSON pointer: '~' must be followed by 0 "
                        + "or 1 (~0 is '~', ~1 is '/')");
            }
        }
        JsonPointer pointer;
        try {
            pointer = JsonPointer.compile(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a JSON pointer: " + e.getMessage());
        }
        List<String> path = new ArrayList<>();
        for (JsonPointer p = pointer; p != null && !p.matches(); p = p.tail()) {
            path.add(p.getMatchingProperty());
        }
        if (path.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' points at the whole record, not a field");
        }
        return new JsonFieldPath(text, pointer, List.copyOf(path));
    }

    /**
     * @param record a parsed record
     * @return the field's value as text (scalars as their text, objects and arrays as JSON), or null when absent
     */
    String textIn(JsonNode record) {
        JsonNode v = record.at(pointer);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        return v.isValueNode() ? v.asText() : v.toString();
    }
}
