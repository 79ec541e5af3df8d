package dev.ingest.plugin.push;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.api.DataRecord;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns a request body into records: one JSON object, a JSON array of objects, or NDJSON (one object per line). The
 * whole body is checked before anything is handed over, so a request is taken whole or not at all. Thread-safe.
 */
final class PushBody {

    /** The body forms accepted. */
    enum Form {
        /** One object or an array of objects. */
        JSON,
        /** One object per line; blank lines are skipped. */
        NDJSON
    }

    /** A body that cannot be taken: the answer's status and a message naming the line or element. */
    static final class Rejected extends Exception {
        final int status;

        Rejected(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final JsonFields fields;

    PushBody(JsonFields fields) {
        this.fields = fields;
    }

    /**
     * The form a content type names.
     *
     * @param contentType the {@code Content-Type} header, or null
     * @return the form, or empty for a type that is not accepted (415); no header means JSON
     */
    static Optional<Form> form(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return Optional.of(Form.JSON);
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim()
                .toLowerCase(Locale.ROOT);
        return switch (type) {
            case "application/json", "text/json" -> Optional.of(Form.JSON);
            case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines",
                    "application/jsonlines" -> Optional.of(Form.NDJSON);
            default -> type.startsWith("application/") && type.endsWith("+json") ? Optional.of(Form.JSON)
                    : Optional.empty();
        };
    }

    /**
     * @param body the bytes
     * @param length how many of them
     * @param form the form
     * @param received the time records without a time field get
     * @param maxRecordBytes the largest record the queue carries
     * @return the records, in order
     * @throws Rejected naming the element (JSON) or line (NDJSON) and what is wrong
     */
    List<DataRecord> parse(byte[] body, int length, Form form, Instant received, int maxRecordBytes)
            throws Rejected {
        return form == Form.NDJSON ? lines(body, length, received, maxRecordBytes)
                : json(body, length, received, maxRecordBytes);
    }

    private List<DataRecord> json(byte[] body, int length, Instant received, int max) throws Rejected {
        if (blank(body, 0, length)) {
            throw new Rejected(400, "the body is empty: send a JSON object, an array of objects, or NDJSON");
        }
        JsonNode root;
        try {
            root = JSON.readTree(body, 0, length);
        } catch (JsonProcessingException e) {
            throw new Rejected(400, "malformed JSON: " + describe(e));
        } catch (IOException e) {
            throw new Rejected(400, "malformed JSON: " + e.getMessage());
        }
        if (root.isObject()) {
            return List.of(record(root, received, max, "the object"));
        }
        if (!root.isArray()) {
            throw new Rejected(400, "the body is a JSON " + root.getNodeType().toString().toLowerCase(Locale.ROOT)
                    + ", not an object or an array of objects");
        }
        List<DataRecord> out = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            JsonNode element = root.get(i);
            if (!element.isObject()) {
                throw new Rejected(400, "element " + i + " is a JSON "
                        + element.getNodeType().toString().toLowerCase(Locale.ROOT) + ", not an object");
            }
            out.add(record(element, received, max, "element " + i));
        }
        return out;
    }

    private List<DataRecord> lines(byte[] body, int length, Instant received, int max) throws Rejected {
        List<DataRecord> out = new ArrayList<>();
        int line = 0;
        int start = 0;
        while (start < length) {
            line++;
            int end = start;
            while (end < length && body[end] != '\n') {
                end++;
            }
            if (!blank(body, start, end)) {
                JsonNode node;
                try (JsonParser p = JSON.getFactory().createParser(body, start, end - start)) {
                    node = JSON.readTree(p);
                    if (p.nextToken() != null) {
                        throw new Rejected(400, "line " + line + ": more than one JSON value on the line");
                    }
                } catch (JsonProcessingException e) {
                    throw new Rejected(400, "line " + line + ": malformed JSON: " + describe(e));
                } catch (IOException e) {
                    throw new Rejected(400, "line " + line + ": malformed JSON: " + e.getMessage());
                }
                if (node == null || !node.isObject()) {
                    throw new Rejected(400, "line " + line + " is a JSON "
                            + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase(Locale.ROOT))
                            + ", not an object");
                }
                out.add(record(node, received, max, "line " + line));
            }
            start = end + 1;
        }
        if (out.isEmpty()) {
            throw new Rejected(400, "the body is empty: NDJSON needs one JSON object per line");
        }
        return out;
    }

    private DataRecord record(JsonNode object, Instant received, int max, String where) throws Rejected {
        Instant time;
        try {
            time = fields.time(object, received);
        } catch (IllegalArgumentException e) {
            throw new Rejected(400, where + ": " + e.getMessage());
        }
        byte[] data;
        try {
            data = JSON.writeValueAsBytes(object);
        } catch (JsonProcessingException e) {
            throw new Rejected(400, where + ": " + e.getOriginalMessage());
        }
        if (data.length > max) {
            throw new Rejected(413, where + " has " + data.length + " bytes; one record may have at most " + max
                    + " (what one queue message carries)");
        }
        return new DataRecord(data, time, fields.attributes(object));
    }

    private static boolean blank(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n') {
                return false;
            }
        }
        return true;
    }

    private static String describe(JsonProcessingException e) {
        String msg = e.getOriginalMessage();
        if (e.getLocation() != null) {
            msg += " (at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
        }
        return msg;
    }

}
