package dev.ingest.plugin.s3;

import java.util.Iterator;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/** {@code ListObjectsV2} as the source's scan and the destination's inventory both use it. */
final class Listings {

    private Listings() {
    }

    /**
     * The objects under a prefix, in S3's order, page by page: the first page is requested by the first
     * {@code hasNext()}, each further page when the previous is used up, so only one page is held at a time.
     *
     * @param client the client
     * @param bucket the bucket
     * @param prefix only keys starting with it; may be empty
     * @param firstLevelOnly list only the first level below the prefix ({@code /} as the delimiter)
     * @param pageSize keys per request, or {@code null} for the server's default (1000 on AWS)
     * @return the objects; iterating throws {@link software.amazon.awssdk.core.exception.SdkException}
     */
    static Iterator<S3Object> objects(S3Client client, String bucket, String prefix, boolean firstLevelOnly,
                                      Integer pageSize) {
        ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(bucket);
        if (!prefix.isEmpty()) {
            request.prefix(prefix);
        }
        if (firstLevelOnly) {
            request.delimiter("/");
        }
        if (pageSize != null) {
            request.maxKeys(pageSize);
        }
        return client.listObjectsV2Paginator(request.build()).contents().iterator();
    }

    /** @return whether a listed key is a "folder" marker (ends in {@code /}, as consoles create them), not an object */
    static boolean isFolder(String key) {
        return key == null || key.isEmpty() || key.endsWith("/");
    }

    /** @return the listed length, or -1 when the listing does not say */
    static long size(S3Object o) {
        return o.size() == null ? -1 : o.size();
    }

    /** @return an ETag without its quotes; empty for none */
    static String etag(String etag) {
        if (etag == null) {
            return "";
        }
        return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"") ? etag.substring(1, etag.length() - 1) : etag;
    }
}
