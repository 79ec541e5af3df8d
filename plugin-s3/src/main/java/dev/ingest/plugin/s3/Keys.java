package dev.ingest.plugin.s3;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;

/**
 * How object keys, names and URIs relate.
 *
 * <ul>
 *   <li>Source: the name of a listed key is the key without the source's prefix and without leading
 *       {@code /}, so prefixes {@code in} and {@code in/} both turn {@code in/a/b.txt} into {@code a/b.txt}.</li>
 *   <li>Destination: the key of a name is the prefix and the name joined with one {@code /} (the original tool's
 *       {@code path.Join}), so prefixes {@code out} and {@code out/} both store {@code a/b.txt} as
 *       {@code out/a/b.txt}. An empty prefix stores the name as it is.</li>
 *   <li>The {@code .done} marker of a name is {@code <metafilesPrefix>/<name>.done}, joined the same way.</li>
 * </ul>
 */
final class Keys {

    /** S3's longest key, in UTF-8 bytes. */
    static final int MAX_KEY_BYTES = 1024;

    private Keys() {
    }

    /**
     * The name under which a listed key travels.
     *
     * @param key a key that starts with {@code prefix} and does not end with {@code /}
     * @param prefix the source's prefix, possibly empty
     * @return the key without the prefix and leading slashes; when that leaves nothing (the prefix names the
     *     object itself), the key's last path segment
     */
    static String nameOf(String key, String prefix) {
        String rest = key.startsWith(prefix) ? key.substring(prefix.length()) : key;
        int start = 0;
        while (start < rest.length() && rest.charAt(start) == '/') {
            start++;
        }
        rest = rest.substring(start);
        if (rest.isEmpty()) {
            int slash = key.lastIndexOf('/');
            rest = slash < 0 ? key : key.substring(slash + 1);
        }
        return rest;
    }

    /**
     * Joins a prefix and a name with exactly one {@code /} between them.
     *
     * @param prefix a prefix, possibly empty
     * @param name an object name
     * @return the key
     */
    static String join(String prefix, String name) {
        if (prefix.isEmpty()) {
            return name;
        }
        int start = 0;
        while (start < name.length() && name.charAt(start) == '/') {
            start++;
        }
        return (prefix.endsWith("/") ? prefix : prefix + "/") + name.substring(start);
    }

    /**
     * The key of an object's {@code .done} marker.
     *
     * @param metafilesPrefix where markers go
     * @param name the object's name
     * @return {@code <metafilesPrefix>/<name>.done}
     */
    static String markerOf(String metafilesPrefix, String name) {
        return join(metafilesPrefix, name + ".done");
    }

    /**
     * Why a key cannot be stored, or {@code null} if it can.
     *
     * @param key the key
     * @return the reason, or {@code null}
     */
    static String whyInvalid(String key) {
        if (key.isEmpty()) {
            return "the key is empty";
        }
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_KEY_BYTES) {
            return "the key is " + bytes + " bytes long in UTF-8; S3 allows " + MAX_KEY_BYTES;
        }
        return null;
    }

    /**
     * The URI of an object, {@code s3://bucket/key}, with the key percent-encoded where needed.
     *
     * @param bucket the bucket
     * @param key the key
     * @return the URI
     */
    static URI uri(String bucket, String key) {
        try {
            return new URI("s3", bucket, "/" + key, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot make a URI of s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        }
    }
}
