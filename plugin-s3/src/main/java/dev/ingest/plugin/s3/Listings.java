package dev.ingest.plugin.s3;

import dev.ingest.api.Inventory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkClientException;
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
     * The objects of one listing, in S3's order. Iterating throws
     * {@link software.amazon.awssdk.core.exception.SdkException} where a request fails. Closing it stops what it
     * runs ahead (requests, threads); a listing that reached its end has closed itself.
     *
     * <p>Used by one thread at a time; {@link #close()} may come from another thread.
     */
    interface Listing extends Iterator<S3Object>, AutoCloseable {
        /** Stops the requests started ahead and the threads running them. Idempotent. */
        @Override
        void close();
    }

    /**
     * The objects under a prefix, in S3's order, the way the settings say to list them: folder by folder with
     * {@link S3Settings#listByPrefix() listByPrefix} ({@link #byFolder}, {@link S3Settings#listConcurrency()
     * listConcurrency} folders at once), else page after page.
     *
     * @param client the client
     * @param settings the bucket and the way of listing
     * @param prefix only keys starting with it; may be empty
     * @param firstLevelOnly list only the first level below the prefix ({@code /} as the delimiter)
     * @param pageSize keys per request, or {@code null} for the server's default (1000 on AWS)
     * @return the objects; iterating throws {@link software.amazon.awssdk.core.exception.SdkException}; close it
     */
    static Listing objects(S3Client client, S3Settings settings, String prefix, boolean firstLevelOnly,
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
    static Listing objects(S3Client client, S3Settings settings, String prefix, boolean firstLevelOnly,
                           Integer pageSize, String startAfter) {
        if (settings.listByPrefix() && !firstLevelOnly && startAfter.isEmpty()) {
            return byFolder(client, settings, prefix, pageSize);
        }
        // Lazy: the first page is requested by the first hasNext(), each further page when the previous is used up.
        ListObjectsV2Request request = request(settings.bucket(), prefix, firstLevelOnly, pageSize);
        if (!startAfter.isEmpty()) {
            request = request.toBuilder().startAfter(startAfter).build();
        }
        Iterator<S3Object> pages = client.listObjectsV2Paginator(request).contents().iterator();
        return new Listing() {
            @Override
            public boolean hasNext() {
                return pages.hasNext();
            }

            @Override
            public S3Object next() {
                return pages.next();
            }

            @Override
            public void close() {
                // nothing runs ahead
            }
        };
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
     * adds requests.
     *
     * <p>With {@link S3Settings#listConcurrency() listConcurrency} above 1, the first pages of the next
     * {@code listConcurrency - 1} folders known, in the order they will be reached, are requested ahead on threads
     * of the listing's own (daemon threads named {@code s3-list-<name>-<n>-<i>}, started at the first folder listed
     * ahead, stopped when the listing ends or is closed, and ending by themselves after
     * {@value FolderListing#IDLE_SECONDS} s idle should a listing be dropped unclosed); the iterating thread
     * lists the rest (further pages of a folder, a folder not listed ahead), so at most {@code listConcurrency}
     * requests are in flight. A sub-folder found nearer in the order than a folder listed ahead takes its place
     * (that folder's request is cancelled, or its page dropped, and it is listed again when its turn comes), so that
     * deep trees (year/month/day) are listed ahead too. Held: one page per folder level being walked, plus at most
     * {@code listConcurrency - 1} pages listed ahead. A folder whose listing ahead failed throws its
     * {@link software.amazon.awssdk.core.exception.SdkException} where the iteration reaches it.
     *
     * @param client the client
     * @param settings the bucket, its name (for threads) and the concurrency
     * @param prefix only keys starting with it; may be empty
     * @param pageSize keys per request, or {@code null} for the server's default
     * @return the objects; iterating throws {@link software.amazon.awssdk.core.exception.SdkException}
     */
    private static Listing byFolder(S3Client client, S3Settings settings, String prefix, Integer pageSize) {
        return new FolderListing(client, settings, prefix, pageSize);
    }

    /** The listing of {@link #byFolder}. */
    private static final class FolderListing implements Listing {
        /** How long an idle thread of a listing waits for work before it ends. */
        static final long IDLE_SECONDS = 60;
        private static final AtomicInteger LISTINGS = new AtomicInteger();

        /** A folder whose listing was started ahead. */
        private record Ahead(Level level, int index, String folder, Future<ListObjectsV2Response> page) {
        }

        /** A folder being walked: its current page as objects and sub-folders, in order. */
        private static final class Level {
            final String folder;
            final int depth;
            List<Object> items;
            /** The next item to return or descend into. */
            int pos;
            /** Items before this one (and from {@link #pos} on) were considered for listing ahead. */
            int aheadFrom;
            /** The next page's token, or {@code null} on the last page. */
            String continuation;

            Level(String folder, int depth, ListObjectsV2Response page) {
                this.folder = folder;
                this.depth = depth;
                load(page);
            }

            void load(ListObjectsV2Response page) {
                items = inOrder(page, folder);
                pos = 0;
                aheadFrom = 0;
                String token = page.nextContinuationToken();
                continuation = token == null || token.isEmpty() ? null : token;
            }

            /** @return whether this level's item {@code index} is reached before {@code a}'s folder */
            boolean before(int index, Ahead a) {
                return depth > a.level.depth || depth == a.level.depth && index < a.index;
            }
        }

        private final S3Client client;
        private final String bucket;
        private final String prefix;
        private final Integer pageSize;
        /** How many folders may be listed ahead: listConcurrency - 1. */
        private final int ahead;
        private final String threadNames;
        /** The levels being walked, the deepest (whose items come first) on top. */
        private final Deque<Level> levels = new ArrayDeque<>();
        /** Guards {@link #started}, {@link #threads} and {@link #closed} against a close from another thread. */
        private final Object lock = new Object();
        /** The folders listed ahead, the one reached first first. */
        private final List<Ahead> started = new ArrayList<>();
        private ThreadPoolExecutor threads;
        private volatile boolean closed;
        /** The page the iterating thread waits for, cancelled by a close from another thread. */
        private volatile Future<ListObjectsV2Response> awaited;
        private boolean opened;
        private boolean done;
        private RuntimeException failure;
        private S3Object next;

        FolderListing(S3Client client, S3Settings settings, String prefix, Integer pageSize) {
            this.client = client;
            this.bucket = settings.bucket();
            this.prefix = prefix;
            this.pageSize = pageSize;
            this.ahead = settings.listConcurrency() - 1;
            this.threadNames = "s3-list-" + settings.name() + "-" + LISTINGS.incrementAndGet() + "-";
        }

        @Override
        public boolean hasNext() {
            if (next != null) {
                return true;
            }
            if (failure != null) {
                throw failure;
            }
            if (done) {
                return false;
            }
            try {
                advance();
            } catch (RuntimeException e) {
                failure = e;
                close();
                throw e;
            } catch (Error e) {
                close();
                throw e;
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

        private void advance() {
            if (closed) {
                throw AbortedException.create("the listing of " + where(prefix) + " was closed");
            }
            if (!opened) {
                opened = true;
                levels.push(new Level(prefix, 0, list(prefix, null)));
                listAhead();
            }
            while (next == null && !levels.isEmpty()) {
                if (closed) { // from another thread
                    throw AbortedException.create("the listing of " + where(prefix) + " was closed");
                }
                Level top = levels.peek();
                if (top.pos == top.items.size()) {
                    if (top.continuation != null) {
                        top.load(list(top.folder, top.continuation));
                        listAhead();
                    } else {
                        levels.pop();
                    }
                    continue;
                }
                Object item = top.items.get(top.pos++);
                if (item instanceof S3Object o) {
                    next = o;
                } else { // inOrder() gives objects and sub-folders' prefixes
                    String folder = (String) item;
                    levels.push(new Level(folder, top.depth + 1, firstPage(top, folder)));
                    listAhead();
                }
            }
            if (levels.isEmpty()) {
                done = true;
                close();
            }
        }

        /** The first page of a folder just reached: listed ahead, or now. */
        private ListObjectsV2Response firstPage(Level parent, String folder) {
            Ahead a = null;
            synchronized (lock) {
                // the folder reached is the nearest of all: if it was listed ahead, it is the first of those
                if (!started.isEmpty() && started.get(0).level == parent && started.get(0).index == parent.pos - 1) {
                    a = started.remove(0);
                }
            }
            if (a == null) {
                return list(folder, null);
            }
            awaited = a.page;
            try {
                if (closed) {
                    a.page.cancel(true);
                }
                return a.page.get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException r) {
                    throw r; // the SdkException of that folder's listing, where the iteration reaches it
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw SdkClientException.create("listing " + where(folder) + " failed: " + cause, cause);
            } catch (CancellationException e) {
                throw AbortedException.create("the listing of " + where(prefix) + " was closed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw AbortedException.create("interrupted while listing " + where(folder), e);
            } finally {
                awaited = null;
            }
        }

        /**
         * Starts listing the nearest folders known ahead, up to {@link #ahead} at once, in the order they will be
         * reached: the top level's sub-folders first, then its parent's, and so on, down to the first level with
         * a page still to come. A folder nearer than the farthest one started takes its place when all places are
         * taken.
         */
        private void listAhead() {
            if (ahead == 0) {
                return;
            }
            synchronized (lock) {
                for (Level level : levels) { // top first
                    for (int i = Math.max(level.pos, level.aheadFrom); i < level.items.size(); i++) {
                        if (closed) {
                            return;
                        }
                        if (level.items.get(i) instanceof String folder) {
                            if (started.size() >= ahead) {
                                Ahead farthest = started.get(started.size() - 1);
                                if (!level.before(i, farthest)) {
                                    level.aheadFrom = i;
                                    return; // every place is taken by a nearer folder
                                }
                                started.remove(started.size() - 1);
                                farthest.page.cancel(true);
                                farthest.level.aheadFrom = Math.min(farthest.level.aheadFrom, farthest.index);
                            }
                            start(level, i, folder);
                        }
                        level.aheadFrom = i + 1;
                    }
                    if (level.continuation != null) {
                        return; // its next page, still unknown, comes before the folders of the levels below
                    }
                }
            }
        }

        private void start(Level level, int index, String folder) {
            if (threads == null) {
                threads = new ThreadPoolExecutor(ahead, ahead, IDLE_SECONDS, TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(), S3Connection.daemonThreads(threadNames));
                threads.allowCoreThreadTimeOut(true);
            }
            Ahead a = new Ahead(level, index, folder, threads.submit(() -> list(folder, null)));
            int at = started.size();
            while (at > 0 && level.before(index, started.get(at - 1))) {
                at--;
            }
            started.add(at, a);
        }

        private ListObjectsV2Response list(String folder, String continuation) {
            ListObjectsV2Request request = request(bucket, folder, true, pageSize);
            if (continuation != null) {
                request = request.toBuilder().continuationToken(continuation).build();
            }
            return client.listObjectsV2(request);
        }

        private String where(String folder) {
            return "s3://" + bucket + "/" + folder;
        }

        @Override
        public void close() {
            synchronized (lock) {
                closed = true;
                for (Ahead a : started) {
                    a.page.cancel(true);
                }
                started.clear();
                Future<?> waiting = awaited;
                if (waiting != null) {
                    waiting.cancel(true);
                }
                if (threads != null) {
                    threads.shutdownNow();
                }
            }
        }
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
