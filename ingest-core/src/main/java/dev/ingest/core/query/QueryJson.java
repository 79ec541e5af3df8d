package dev.ingest.core.query;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.api.Query;
import dev.ingest.api.QueryPage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The JSON of filter queries ({@code POST /v1/destinations/{name}/query}): reads a request into a {@link Query} and
 * writes a {@link QueryPage} as the answer {@code {"count", "records", "next"}}.
 *
 * <p>A request is either LogIngestor's filter, unchanged ({@code {"key", "value", "operation"}}, with
 * {@code lower_range} and {@code upper_range} for {@code range}), or a combined query
 * {@code {"filters": [...], "match": "all"|"any"}}; {@code limit} and {@code after} may accompany either. A malformed
 * request is an {@link IllegalArgumentException} whose message starts with the field it is about. Thread-safe.
 */
public final class QueryJson {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FILTER_FIELDS = Set.of("key", "value", "operation", "lower_range", "upper_range");
    private static final Set<String> QUERY_FIELDS = Set.of("filters", "match", "limit", "after");

    private QueryJson() {
    }

    /**
     * @param body the request body
     * @return the query
     * @throws IllegalArgumentException naming the field that is wrong
     */
    public static Query parse(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("body: malformed JSON: " + why);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("body: must be a JSON object: a filter {\"key\", \"value\", "
                    + "\"operation\"} or {\"filters\": [...], \"match\": \"all\"|\"any\"}");
        }
        int limit = Query.DEFAULT_LIMIT;
        JsonNode l = root.get("limit");
        if (l != null && !l.isNull()) {
            if (!l.isIntegralNumber() || !l.canConvertToInt() || l.intValue() < 1 || l.intValue() > Query.MAX_LIMIT) {
                throw new IllegalArgumentException("limit: must be a whole number from 1 to " + Query.MAX_LIMIT
                        + ", got " + l);
            }
            limit = l.intValue();
        }
        Optional<String> after = Optional.empty();
        JsonNode a = root.get("after");
        if (a != null && !a.isNull()) {
            if (!a.isTextual() || a.textValue().isEmpty()) {
                throw new IllegalArgumentException("after: must be the \"next\" string of the page before, got " + a);
            }
            after = Optional.of(a.textValue());
        }
        boolean combined = root.has("filters") || root.has("match");
        List<Query.Filter> filters = new ArrayList<>();
        boolean any = false;
        if (combined) {
            unknownFields(root, QUERY_FIELDS, "");
            JsonNode fs = root.get("filters");
            if (fs == null || !fs.isArray()) {
                throw new IllegalArgumentException("filters: must be an array of filters {\"key\", \"value\", "
                        + "\"operation\"}");
            }
            for (int i = 0; i < fs.size(); i++) {
                filters.add(filter(fs.get(i), "filters[" + i + "]."));
            }
            JsonNode m = root.get("match");
            if (m != null && !m.isNull()) {
                String match = m.isTextual() ? m.textValue().toLowerCase(Locale.ROOT) : "";
                if (!match.equals("all") && !match.equals("any")) {
                    throw new IllegalArgumentException("match: must be \"all\" or \"any\", got " + m);
                }
                any = match.equals("any");
            }
        } else {
            Set<String> allowed = new java.util.HashSet<>(FILTER_FIELDS);
            allowed.add("limit");
            allowed.add("after");
            unknownFields(root, allowed, "");
            if (root.has("key") || root.has("operation") || root.has("value")) {
                filters.add(filter(root, ""));
            }
        }
        return new Query(filters, any, limit, after);
    }

    private static Query.Filter filter(JsonNode f, String prefix) {
        if (f == null || !f.isObject()) {
            throw new IllegalArgumentException(prefix.isEmpty() ? "body: a filter must be an object"
                    : prefix.substring(0, prefix.length() - 1) + ": must be an object {\"key\", \"value\", "
                    + "\"operation\"}");
        }
        if (!prefix.isEmpty()) {
            unknownFields(f, FILTER_FIELDS, prefix);
        }
        JsonNode k = f.get("key");
        if (k == null || !k.isTextual() || k.textValue().isEmpty()) {
            throw new IllegalArgumentException(prefix + "key: required: a field name or a JSON pointer");
        }
        JsonNode o = f.get("operation");
        String op = o == null || o.isNull() ? "equals" : o.isTextual() ? o.textValue().toLowerCase(Locale.ROOT) : "";
        switch (op) {
            case "equals", "contains" -> {
                String value = scalar(f.get("value"), prefix + "value", true);
                return op.equals("equals") ? Query.Filter.equalTo(k.textValue(), value)
                        : Query.Filter.contains(k.textValue(), value);
            }
            case "range" -> {
                String lower = scalar(f.get("lower_range"), prefix + "lower_range", false);
                String upper = scalar(f.get("upper_range"), prefix + "upper_range", false);
                if (lower == null && upper == null) {
                    throw new IllegalArgumentException(prefix + "lower_range: range needs lower_range, upper_range "
                            + "or both");
                }
                return Query.Filter.range(k.textValue(), lower, upper);
            }
            default -> throw new IllegalArgumentException(prefix + "operation: must be equals, contains or range, "
                    + "got " + o);
        }
    }

    private static String scalar(JsonNode v, String field, boolean required) {
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(field + ": required");
            }
            return null;
        }
        if (!v.isValueNode()) {
            throw new IllegalArgumentException(field + ": must be a string, number or boolean, got " + v);
        }
        return v.asText();
    }

    private static void unknownFields(JsonNode object, Set<String> allowed, String prefix) {
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw new IllegalArgumentException(prefix + name + ": unknown field (expected one of "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    /**
     * @param page a page of the answer
     * @return {@code {"count": N, "records": [...], "next": cursor or null}}
     * @throws IllegalStateException if a record the destination returned is not JSON
     */
    public static byte[] answer(QueryPage page) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("count", page.records().size());
            g.writeArrayFieldStart("records");
            for (String r : page.records()) {
                g.writeTree(JSON.readTree(r));
            }
            g.writeEndArray();
            if (page.next().isPresent()) {
                g.writeStringField("next", page.next().get());
            } else {
                g.writeNullField("next");
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("a record of the answer is not JSON: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }
}
