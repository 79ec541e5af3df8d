package dev.ingest.plugin.s3;

import dev.ingest.api.Codec;
import dev.ingest.api.NameFilter;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.protocols.jsoncore.JsonNodeParser;

/**
 * Reads S3 event notifications: the JSON AWS S3 sends to SQS (directly, or wrapped by SNS) and MinIO publishes to
 * NATS, {@code {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": ...}, "object": {"key": ...,
 * "size": ..., "eTag": ...}}}]}}. Keys arrive URL-encoded ({@code +} for a space) and are decoded.
 *
 * <p>Each {@code ObjectCreated:*} record of the source's bucket under its prefix becomes a codec as a listing would
 * make it (id the key, name the key without the prefix, version the ETag, size the size). Other event types
 * (removals, restores) are left out; so are folder markers and names the source's {@code include}/{@code exclude}
 * leave out. A record of another bucket, or outside the prefix, makes the notification {@link Parsed#problem() wrong};
 * so does anything that is not an S3 event. {@code s3:TestEvent} (sent when notifications are set up) is
 * {@link Parsed#test() a test}.
 *
 * <p>Stateless and thread-safe.
 */
final class S3Events {

    private static final JsonNodeParser PARSER = JsonNodeParser.create();

    private final String bucket;
    private final String prefix;
    private final NameFilter filter;

    S3Events(String bucket, String prefix, NameFilter filter) {
        this.bucket = bucket;
        this.prefix = prefix;
        this.filter = filter;
    }

    /**
     * What a notification holds.
     *
     * @param objects the objects to queue, in the notification's order
     * @param test whether it is S3's test event (nothing to do)
     * @param problem why (part of) it cannot be used; empty when all is well. Objects may still be present: those
     *     of its records that were fine
     */
    record Parsed(List<Codec> objects, boolean test, Optional<String> problem) {
    }

    Parsed parse(byte[] body) {
        JsonNode root;
        try {
            root = PARSER.parse(new String(body, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            return bad("not JSON: " + e.getMessage());
        }
        if (!root.isObject()) {
            return bad("not an S3 event notification: the JSON is not an object");
        }
        Map<String, JsonNode> top = root.asObject();
        // S3 -> SNS -> SQS: the event is the SNS notification's Message, a JSON string.
        if (text(top.get("Type")).equals("Notification") && top.get("Message") != null && top.get("Message").isString()) {
            return parse(top.get("Message").asString().getBytes(StandardCharsets.UTF_8));
        }
        if (text(top.get("Event")).equals("s3:TestEvent")) {
            return new Parsed(List.of(), true, Optional.empty());
        }
        JsonNode records = top.get("Records");
        if (records == null || !records.isArray()) {
            return bad("not an S3 event notification: no Records array");
        }
        List<Codec> objects = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int index = 0;
        for (JsonNode record : records.asArray()) {
            String where = "Records[" + index++ + "]";
            if (!record.isObject()) {
                problems.add(where + " is not an object");
                continue;
            }
            Map<String, JsonNode> r = record.asObject();
            String event = text(r.get("eventName"));
            if (event.isEmpty()) {
                problems.add(where + " has no eventName");
                continue;
            }
            String s3Bucket = text(path(r.get("s3"), "bucket", "name"));
            String rawKey = text(path(r.get("s3"), "object", "key"));
            if (s3Bucket.isEmpty() || rawKey.isEmpty()) {
                problems.add(where + " (" + event + ") has no s3.bucket.name or s3.object.key");
                continue;
            }
            if (!event.startsWith("ObjectCreated:") && !event.startsWith("s3:ObjectCreated:")) {
                continue; // removals and other events: nothing to copy
            }
            String key;
            try {
                key = URLDecoder.decode(rawKey, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                problems.add(where + ": key '" + rawKey + "' is not URL-encoded: " + e.getMessage());
                continue;
            }
            if (!s3Bucket.equals(bucket)) {
                problems.add(where + ": object '" + key + "' is in bucket '" + s3Bucket + "', not in the source's '"
                        + bucket + "'");
                continue;
            }
            if (!key.startsWith(prefix)) {
                problems.add(where + ": object '" + key + "' is outside the source's prefix '" + prefix + "'");
                continue;
            }
            if (Listings.isFolder(key)) {
                continue;
            }
            String name = Keys.nameOf(key, prefix);
            if (!filter.selected(name)) {
                continue;
            }
            long size = -1;
            JsonNode sizeNode = path(r.get("s3"), "object", "size");
            if (sizeNode != null && sizeNode.isNumber()) {
                try {
                    size = Math.max(-1, Long.parseLong(sizeNode.asNumber()));
                } catch (NumberFormatException e) {
                    size = -1;
                }
            }
            String etag = Listings.etag(text(path(r.get("s3"), "object", "eTag")));
            objects.add(Codec.of(key, name, etag, size));
        }
        return new Parsed(List.copyOf(objects), false,
                problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems)));
    }

    private static Parsed bad(String reason) {
        return new Parsed(List.of(), false, Optional.of(reason));
    }

    private static JsonNode path(JsonNode node, String... fields) {
        JsonNode n = node;
        for (String f : fields) {
            if (n == null || !n.isObject()) {
                return null;
            }
            n = n.asObject().get(f);
        }
        return n;
    }

    private static String text(JsonNode node) {
        return node != null && node.isString() ? node.asString() : "";
    }
}
