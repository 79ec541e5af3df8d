package dev.ingest.core.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ingest.api.Codec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The wire format of a {@link Codec}: {@code {"id":..,"name":..,"meta":"<base64>","version":..,"size":..}},
 * compatible with the original tool's {@code {"id","name"}} (the other fields are optional).
 */
public final class CodecJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private CodecJson() {
    }

    /**
     * @param codec the codec
     * @return its JSON, UTF-8
     */
    public static byte[] encode(Codec codec) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("id", codec.id());
        node.put("name", codec.name());
        byte[] meta = codec.meta();
        if (meta.length > 0) {
            node.put("meta", Base64.getEncoder().encodeToString(meta));
        }
        if (!codec.version().isEmpty()) {
            node.put("version", codec.version());
        }
        if (codec.size() >= 0) {
            node.put("size", codec.size());
        }
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + codec, e);
        }
    }

    /**
     * @param data a message body
     * @return the codec it holds
     * @throws IllegalArgumentException if the body is not a valid codec, saying why
     */
    public static Codec decode(byte[] data) {
        JsonNode node;
        try {
            node = MAPPER.readTree(data);
        } catch (IOException e) {
            throw new IllegalArgumentException("message is not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("message is not a JSON object with id and name");
        }
        String id = text(node, "id", true);
        String name = text(node, "name", true);
        String version = text(node, "version", false);
        byte[] meta = new byte[0];
        JsonNode m = node.get("meta");
        if (m != null && !m.isNull()) {
            if (!m.isTextual()) {
                throw new IllegalArgumentException("message field 'meta' must be a base64 string");
            }
            try {
                meta = Base64.getDecoder().decode(m.asText());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("message field 'meta' is not valid base64");
            }
        }
        long size = -1;
        JsonNode s = node.get("size");
        if (s != null && !s.isNull()) {
            if (!s.isIntegralNumber() || !s.canConvertToLong() || s.asLong() < -1) {
                throw new IllegalArgumentException("message field 'size' must be a whole number >= -1");
            }
            size = s.asLong();
        }
        try {
            return new Codec(id, name, meta, version, size);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("message is not a valid object reference: " + e.getMessage());
        }
    }

    private static String text(JsonNode node, String field, boolean required) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException("message has no '" + field + "' field");
            }
            return "";
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("message field '" + field + "' must be a string");
        }
        return v.asText();
    }

    /**
     * The de-duplication id of a codec in a workflow: a hash of workflow, id and version, so that the same
     * unchanged object published twice within the duplicate window (two scans, two enqueuer replicas) is
     * stored once, while a changed object is queued again.
     *
     * @param workflow the workflow name
     * @param codec the codec
     * @return a 64-character hex string
     */
    public static String messageId(String workflow, Codec codec) {
        return id(workflow, codec);
    }

    /**
     * The de-duplication scope of a workflow: its name and its destinations. A workflow replaced with other
     * destinations queues objects anew, so that the new destinations get them even within the duplicate window;
     * an unchanged workflow keeps its ids across scans, replicas and restarts.
     *
     * @param workflow the workflow name
     * @param destinations its destinations, in order
     * @return the scope, for {@link #messageId(String, Codec)}
     */
    public static String scope(String workflow, java.util.List<String> destinations) {
        return workflow + "\u0000" + String.join("\u0000", destinations);
    }

    private static String id(String workflow, Codec codec) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(workflow.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(codec.id().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(codec.version().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
