package dev.ingest.plugin.s3;

import dev.ingest.api.Inventory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/** {@code ListObjectsV2} as the source's scan and the destination's inventory both use it. */
final class Listings {

    private Listings() {
    }

    /**
     * The objects under a prefix, in S3's order, the way the settings say to list them: folder by folder with
     * {@link S3Settings#listByPrefix() listByPrefix} ({@link #byFolder}), else page after page.
     *
     * @param client the client
     * @param settings the bucket and the way of listing
     * @param prefix only keys starting with it; may be empty
     * @param firstLevelOnly list only the first level below the prefix ({@code /} as the delimiter)
     * @param pageSize keys per request, or {@code null} for the server's default (1000 on AWS)
     * @return the objects; iterating throws {@link software.amazon.awssdk.core.exception.SdkException}
     */
    static Iterator<S3Object> objects(S3Client client, S3Settings settings, String prefix, boolean firstLevelOnly,
                                      Integer pageSize) {
        return objects(client, settings, prefix, firstLevelOnly, pageSize, "");
    }

    /**
     * As {@link #objects(S3Client, S3Settings, String, boolean, Integer)}, from a key on: only keys after
     * {@code startAfter} (S3's {@code start-after}). A listing that starts after a key is always flat (page after
     * page), whatever {@link S3Settings#listByPrefix()} says: folder by folder would list the folders before it.
     *
     * @param startAfter list the keys after this one; empty for all
     */
    static Iterator<S3Object> objects(S3Client client, S3Settings settings, String prefix, boolean firstLevelOnly,
                                      Integer pageSize, String startAfter) {
        if (settings.listByPrefix() && !firstLevelOnly && startAfter.isEmpty()) {
            return byFolder(client, settings.bucket(), prefix, pageSize);
        }
        // Lazy: the first page is requested by the first hasNext(), each further page when the previous is used up.
        ListObjectsV2Request request = request(settings.bucket(), prefix, firstLevelOnly, pageSize);
        if (!startAfter.isEmpty()) {
            request = request.toBuilder().startAfter(startAfter).build();
        }
        return client.listObjectsV2Paginator(request).contents().iterator();
    }

    private static ListObjectsV2Request request(String bucket, String prefix, boolean delimited, Integer pageSize) {
        ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(bucket);
        if (!prefix.isEmpty()) {
            request.prefix(prefix);
        }
        if (delimited) {
            request.delimiter("/");
        }
        if (pageSize != null) {
            request.maxKeys(pageSize);
        }
        return request.build();
    }

    /**
     * The objects under a prefix in S3's order, listed folder by folder: {@code ListObjectsV2} with {@code /} as the
     * delimiter, and each common prefix listed the same way where it comes in the order, depth first. The keys and
     * their order are those of a listing page after page; the requests are one per folder (and page) instead of one per page.
     * Stores that keep folders as directories (s3proxy, MinIO) answer such a request at the cost of the folder
     * rather than of the whole listing so far, which makes a large listing several times faster; on AWS it only
     * adds requests. One page per folder level is held at a time.
     *
     * @param client the client
     * @param bucket the bucket
     * @param prefix only keys starting with it; may be empty
     * @param pageSize keys per request, or {@code null} for the server's default
     * @return the objects; iterating throws {@link software.amazon.awssdk.core.exception.SdkException}
     */
    private static Iterator<S3Object> byFolder(S3Client client, String bucket, String prefix, Integer pageSize) {
        return new Iterator<>() {
            private final Deque<Iterator<Object>> levels = new ArrayDeque<>(List.of(level(prefix)));
            private S3Object next;

            private Iterator<Object> level(String folder) {
                Iterator<ListObjectsV2Response> pages =
                        client.listObjectsV2Paginator(request(bucket, folder, true, pageSize)).iterator();
                return new Iterator<>() {
                    private Iterator<Object> page = Collections.emptyIterator();

                    @Override
                    public boolean hasNext() {
                        while (!page.hasNext() && pages.hasNext()) {
                            page = inOrder(pages.next(), folder).iterator();
                        }
                        return page.hasNext();
                    }

                    @Override
                    public Object next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        return page.next();
                    }
                };
            }

            @Override
            public boolean hasNext() {
                while (next == null && !levels.isEmpty()) {
                    Iterator<Object> top = levels.peek();
                    if (!top.hasNext()) {
                        levels.pop();
                        continue;
                    }
                    Object item = top.next();
                    if (item instanceof S3Object o) {
                        next = o;
                    } else {
                        levels.push(level((String) item)); // inOrder() gives objects and sub-folders' prefixes
                    }
                }
                return next != null;
            }

            @Override
            public S3Object next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                S3Object o = next;
                next = null;
                return o;
            }
        };
    }

    /** One page of a delimited listing as one sequence in S3's order: its objects and its sub-folders' prefixes. */
    static List<Object> inOrder(ListObjectsV2Response page, String folder) {
        List<S3Object> objects = page.contents();
        List<String> folders = new ArrayList<>();
        for (CommonPrefix p : page.commonPrefixes()) {
            // a sub-folder is always longer than the folder listed; anything else would list it again for ever
            if (p.prefix() != null && p.prefix().length() > folder.length()) {
                folders.add(p.prefix());
            }
        }
        List<Object> out = new ArrayList<>(objects.size() + folders.size());
        int i = 0;
        int j = 0;
        while (i < objects.size() || j < folders.size()) {
            if (j == folders.size()
                    || (i < objects.size() && Inventory.compareNames(objects.get(i).key(), folders.get(j)) < 0)) {
                out.add(objects.get(i++));
            } else {
                out.add(folders.get(j++));
            }
        }
        return out;
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
