package dev.ingest.plugin.push;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a push source takes from each object besides its bytes: its time ({@code timeField}) and its attributes
 * ({@code attributes}). Immutable and thread-safe.
 */
final class JsonFields {

    /** A configured field: what the user wrote, and the JSON pointer it means. */
    record Pointer(String text, JsonPointer pointer) {
    }

    private final Pointer time;
    private final Map<String, Pointer> attributes;

    JsonFields(Pointer time, Map<String, Pointer> attributes) {
        this.time = time;
        this.attributes = Map.copyOf(new LinkedHashMap<>(attributes));
    }

    /**
     * @param text a JSON pointer ({@code /a/b}) or a top-level field name ({@code timestamp})
     * @return the pointer
     * @throws IllegalArgumentException if it is a malformed pointer
     */
    static Pointer pointer(String text) {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty()) {
            throw new IllegalArgumentException("must be a field name or a JSON pointer, got ''");
        }
        if (!text.startsWith("/")) {
            return new Pointer(text, JsonPointer.compile("/" + text.replace("~", "~0").replace("/", "~1")));
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '~' && (i + 1 == text.length() || "01".indexOf(text.charAt(i + 1)) < 0)) {
                throw new IllegalArgumentException("'" + text + "' is not a JSON pointer: '~' must be followed by 0 "
                        + "or 1 (~0 is '~', ~1 is '/')");
            }
        }
        try {
            return new Pointer(text, JsonPointer.compile(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a JSON pointer: " + e.getMessage());
        }
    }

    /**
     * The record's time: the time field as RFC 3339 text or epoch milliseconds.
     *
     * @param object the object
     * @param received the time to use when the object has no time field (or it is null)
     * @return the time
     * @throws IllegalArgumentException naming the field, when it is there but not a time
     */
    Instant time(JsonNode object, Instant received) {
        if (time == null) {
            return received;
        }
        JsonNode value = object.at(time.pointer());
        if (value.isMissingNode() || value.isNull()) {
            return received;
        }
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            try {
                return Instant.ofEpochMilli(value.asLong());
            } catch (java.time.DateTimeException e) {
                throw new IllegalArgumentException("field " + time.text() + ": " + value + " is out of range");
            }
        }
        if (value.isTextual()) {
            return parseTime(value.textValue()).orElseThrow(() -> new IllegalArgumentException("field " + time.text()
                    + ": '" + abbreviate(value.textValue()) + "' is not an RFC 3339 time or epoch milliseconds"));
        }
        throw new IllegalArgumentException("field " + time.text() + ": " + abbreviate(value.toString())
                + " is not an RFC 3339 time (a string) or epoch milliseconds (a whole number)");
    }

    /**
     * @param object the object
     * @return the configured attributes the object has: scalars as their text, objects and arrays as compact JSON
     */
    Map<String, String> attributes(JsonNode object) {
        if (attributes.isEmpty()) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Pointer> e : attributes.entrySet()) {
            JsonNode value = object.at(e.getValue().pointer());
            if (value.isMissingNode() || value.isNull()) {
                continue;
            }
            out.put(e.getKey(), value.isValueNode() ? value.asText() : value.toString());
        }
        return out;
    }

    static java.util.Optional<Instant> parseTime(String text) {
        String s = text.trim();
        if (s.length() > 10 && (s.charAt(10) == ' ' || s.charAt(10) == 't')) {
            s = s.substring(0, 10) + 'T' + s.substring(11); // RFC 3339 allows a space or a lower-case t
        }
        if (s.endsWith("z")) {
            s = s.substring(0, s.length() - 1) + 'Z';
        }
        try {
            return java.util.Optional.of(OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return java.util.Optional.empty();
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
