package dev.ingest.plugin.http;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.Objects;
import java.util.Optional;

/**
 * Where a value sits in a JSON object: a plain field name ({@code id}, {@code download_url}) or, when it starts
 * with {@code /}, a JSON pointer (RFC 6901) such as {@code /meta/etag}. Immutable and thread-safe.
 *
 * @param spec the text as configured
 * @param pointer the pointer it stands for
 */
record JsonField(String spec, JsonPointer pointer) {

    JsonField {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(pointer, "pointer");
    }

    /**
     * @param spec a field name or a JSON pointer starting with {@code /}
     * @return the field
     * @throws IllegalArgumentException if a pointer is malformed ({@code ~} not followed by 0 or 1)
     */
    static JsonField of(String spec) {
        if (spec.startsWith("/")) {
            return new JsonField(spec, pointer(spec));
        }
        return new JsonField(spec, JsonPointer.compile("/" + spec.replace("~", "~0").replace("/", "~1")));
    }

    /**
     * Compiles a JSON pointer strictly: unlike Jackson, refuses a {@code ~} that is not followed by {@code 0} or
     * {@code 1} (RFC 6901).
     *
     * @param text a pointer starting with {@code /}
     * @return the pointer
     * @throws IllegalArgumentException if it is malformed
     */
    static JsonPointer pointer(String text) {
        for (int i = text.indexOf('~'); i >= 0; i = text.indexOf('~', i + 1)) {
            if (i + 1 >= text.length() || (text.charAt(i + 1) != '0' && text.charAt(i + 1) != '1')) {
                throw new IllegalArgumentException("'~' must be followed by 0 or 1 (write ~0 for '~' and ~1 for '/')");
            }
        }
        return JsonPointer.compile(text);
    }

    /**
     * @param node a JSON value
     * @return the node at this field; missing when absent
     */
    JsonNode in(JsonNode node) {
        return node.at(pointer);
    }

    /**
     * The field's value as text, for scalars.
     *
     * @param node a JSON object
     * @return the text of a string, number or boolean; empty when absent, null, blank, an object or an array
     */
    Optional<String> text(JsonNode node) {
        JsonNode value = in(node);
        if (value.isMissingNode() || value.isNull() || value.isContainerNode()) {
            return Optional.empty();
        }
        String text = value.asText();
        return text.isBlank() ? Optional.empty() : Optional.of(text);
    }

    @Override
    public String toString() {
        return spec;
    }
}
