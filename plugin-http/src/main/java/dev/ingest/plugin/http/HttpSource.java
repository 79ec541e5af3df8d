package dev.ingest.plugin.http;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.NameFilter;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Scan;
import dev.ingest.api.Source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP API as a source: a JSON listing, possibly paginated, whose items name objects to download.
 *
 * <p><b>Listing.</b> {@link #scan()} fetches the page at {@code url}; the scan hands out its items and
 * fetches the following pages only when needed. A page is a JSON array of objects, or a JSON object holding that
 * array at the {@code items} JSON pointer. The next page is the URL found at the {@code nextField} JSON pointer
 * of the page, or else the {@code Link} header's {@code rel="next"} target (both relative to the page's URL); the
 * scan ends when there is neither, or when the next URL was already visited in this scan (a loop, logged).
 *
 * <p><b>Items.</b> Each item gives the object's id ({@code idField}, default {@code id}), name ({@code nameField},
 * default {@code name}, else the id), URL ({@code urlField}, default {@code url}, resolved against the page's URL,
 * or the {@code downloadUrl} template), and optionally a version and a size. An item that is not an object or
 * lacks an id or a URL is skipped with a warning. An item whose id was already handed out in this scan is left out:
 * quietly when it is the same object listed twice, with a warning naming both items when it is another object (see
 * {@code PageScan}). A completed scan logs what it listed and left out. The object's URL travels in
 * {@link Codec#meta()} (UTF-8), so dequeuers download it without listing again.
 *
 * <p><b>Download and clean-up.</b> {@link #download} GETs the object's URL and streams the body, with its
 * {@code Content-Type} and {@code Content-Length}. A 404 or 410 is poison: the object is gone. {@link #cleanUp}
 * sends the configured request ({@code cleanUp: "DELETE {url}"}); without one it refuses with a
 * {@link PoisonException} naming the missing key. Errors follow {@link HttpFailures}.
 *
 * <p>Thread-safety: safe for concurrent use. Each {@link #scan()} holds its own state (used by one thread at a
 * time), so several workflows may scan the source at once; {@code download} and {@code cleanUp} share only the
 * thread-safe client.
 */
public final class HttpSource implements Source {

    private static final Logger LOG = LoggerFactory.getLogger(HttpSource.class);

    /**
     * How items of a listing are read.
     *
     * @param url the first page
     * @param items where the array of items sits in a page that is an object; {@code null}: the page is the array
     * @param id the field holding an item's id
     * @param name the field holding an item's name
     * @param objectUrl the field holding an item's URL; {@code null} when {@code downloadUrl} is used
     * @param downloadUrl the template of an object's URL from its {@code {id}} and {@code {name}}; or {@code null}
     * @param version the field holding an item's version; or {@code null}
     * @param size the field holding an item's size in bytes; or {@code null}
     * @param next where the next page's URL sits in a page; or {@code null} (the {@code Link} header is always read)
     * @param maxPages the most pages a scan fetches; a listing that links to more fails the scan
     * @param filter which items are listed, by their name ({@code include}, {@code exclude})
     */
    record Listing(HttpUrl url, JsonPointer items, JsonField id, JsonField name, JsonField objectUrl,
                   UrlTemplate downloadUrl, JsonField version, JsonField size, JsonPointer next, long maxPages,
                   NameFilter filter) {
        Listing {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(filter, "filter");
            if (maxPages < 1) {
                throw new IllegalArgumentException("maxPages must be at least 1");
            }
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
            if ((objectUrl == null) == (downloadUrl == null)) {
                throw new IllegalArgumentException("exactly one of objectUrl and downloadUrl is needed");
            }
        }
    }

    /**
     * The request that removes an object: {@code DELETE {url}}.
     *
     * @param method the HTTP method
     * @param url the URL template, with {@code {url}}, {@code {id}} and {@code {name}}
     */
    record CleanUp(String method, UrlTemplate url) {
        CleanUp {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(url, "url");
        }

        @Override
        public String toString() {
            return method + " " + url;
        }
    }

    private final String name;
    private final Listing listing;
    private final CleanUp cleanUp;
    private final OkHttpClient client;
    private final ObjectMapper mapper = new ObjectMapper();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Creates a source. The provider validates the configuration; this constructor only records it.
     *
     * @param name the configured name of the source, used in messages
     * @param listing how to list and read items
     * @param cleanUp the request that removes an object, or {@code null} when clean-up is not configured
     * @param client the HTTP client, owned by the source from now on (closed by {@link #close()})
     */
    public HttpSource(String name, Listing listing, CleanUp cleanUp, OkHttpClient client) {
        this.name = Objects.requireNonNull(name, "name");
        this.listing = Objects.requireNonNull(listing, "listing");
        this.cleanUp = cleanUp;
        this.client = Objects.requireNonNull(client, "client");
    }

    /** Fetches the first page now; the following ones as the scan reaches them. */
    @Override
    public Scan scan() throws IOException {
        PageScan scan = new PageScan();
        scan.fetchPage();
        return scan;
    }

    /**
     * One listing: its own queue of items, pages visited and ids handed out, used by one thread.
     *
     * <p>An item whose id was handed out earlier in the scan is left out: for the same name and URL it is the same
     * object listed twice (a page boundary that shifted while listing), counted; for another name or URL it is another
     * object under the same id, left out with a warning that names both items. The id is what identifies an object in
     * the queue's de-duplication, in dead letters and in {@code cleanUp} and {@code downloadUrl} templates, so two
     * objects under one id cannot both be handled safely; the first one listed is copied. When the scan ends, a line
     * counts what was listed and what was left out.
     */
    private final class PageScan implements Scan {
        private final ArrayDeque<Codec> pending = new ArrayDeque<>();
        private final Set<String> visited = new HashSet<>();
        private final SeenIds seen = new SeenIds();
        /** Where each page's items start, by item number, and the page's URL as logged. */
        private final List<Integer> pageStarts = new ArrayList<>();
        private final List<String> pageUrls = new ArrayList<>();
        /** The items handed out from the previous page and this one, to name the first of two with one id. */
        private final List<Item> recent = new ArrayList<>();
        private HttpUrl nextPage = listing.url();
        private HttpUrl lastPage;
        private int pages;
        private int handedOut;
        private int invalid;
        private int listedTwice;
        private int repeatedIds;
        private boolean finished;
        private boolean uncheckedWarned;

        /** An item handed out: its codec, and where it was listed. */
        private record Item(Codec codec, int ordinal, String page, int index) {
            String describe() {
                return "item " + index + " of page " + page + " (name '" + codec.name() + "', URL "
                        + HttpFailures.forLog(HttpUrl.parse(new String(codec.meta(), StandardCharsets.UTF_8))) + ")";
            }
        }

        @Override
        public Optional<Codec> next() throws IOException {
            while (pending.isEmpty()) {
                if (nextPage == null) {
                    finish();
                    return Optional.empty();
                }
                if (pages >= listing.maxPages()) {
                    throw new IOException("http source '" + name + "': the listing has more than maxPages ("
                            + listing.maxPages() + ") pages: page " + HttpFailures.forLog(lastPage) + " links to "
                            + HttpFailures.forLog(nextPage) + "; this scan stopped there, after " + handedOut
                            + " objects (queued). Raise maxPages if the listing really is this long; an API whose "
                            + "next links never end cannot be listed");
                }
                fetchPage();
            }
            return Optional.of(pending.poll());
        }

        /** Fetches {@link #nextPage}, queues its items and finds the page after it. */
        private void fetchPage() throws IOException {
            HttpUrl page = nextPage;
            nextPage = null;
            lastPage = page;
            visited.add(page.toString());
            pages++;
            Request request = new Request.Builder().url(page).header("Accept", "application/json").build();
            JsonNode body;
            String link;
            try (Response response = execute(request)) {
                if (!response.isSuccessful()) {
                    throw HttpFailures.forStatus("GET", response);
                }
                try (InputStream in = HttpFailures.guard(response.body().byteStream(), page)) {
                    body = mapper.readTree(in);
                } catch (JsonProcessingException e) {
                    throw new IOException("http source '" + name + "': page " + HttpFailures.forLog(page)
                            + " is not JSON: " + e.getOriginalMessage());
                }
                link = LinkHeader.next(response.headers("Link")).orElse(null);
            }
            if (body == null || body.isMissingNode()) {
                throw new IOException("http source '" + name + "': page " + HttpFailures.forLog(page) + " is empty, not JSON");
            }
            JsonNode array = listing.items() == null ? body : body.at(listing.items());
            if (listing.items() != null && array.isNull()) {
                array = mapper.createArrayNode(); // {"items": null} on a last page
            }
            if (!array.isArray()) {
                throw new IOException("http source '" + name + "': page " + HttpFailures.forLog(page) + " "
                        + (listing.items() == null
                                ? "is a JSON " + body.getNodeType().toString().toLowerCase(Locale.ROOT) + ", not an array; if the items are in an "
                                        + "object, set items: to their JSON pointer (for example /items)"
                                : array.isMissingNode() ? "has nothing at items pointer '" + listing.items() + "'"
                                        : "has a " + array.getNodeType().toString().toLowerCase(Locale.ROOT) + " at items pointer '"
                                                + listing.items() + "', not an array"));
            }
            startPage(page);
            int index = 0;
            for (JsonNode item : array) {
                Codec codec = toCodec(item, page, index);
                if (codec == null) {
                    invalid++;
                } else if (!listing.filter().selected(codec.name())) {
                    LOG.debug("{}: item '{}' is not selected by include/exclude", name, codec.name());
                } else {
                    accept(codec, index);
                }
                index++;
            }
            String next = null;
            if (listing.next() != null) {
                JsonNode value = body.at(listing.next());
                if (value.isTextual() && !value.asText().isBlank()) {
                    next = value.asText().trim();
                }
            }
            if (next == null) {
                next = link;
            }
            if (next != null) {
                HttpUrl resolved = page.resolve(next);
                if (resolved == null) {
                    throw new IOException("http source '" + name + "': the next-page link '" + next + "' of page "
                            + HttpFailures.forLog(page) + " is not an http(s) URL");
                }
                if (visited.contains(resolved.toString())) {
                    LOG.warn("http source '{}': page {} links back to {}, already listed in this scan; stopping after {} pages",
                            name, HttpFailures.forLog(page), HttpFailures.forLog(resolved), pages);
                } else {
                    nextPage = resolved;
                }
            }
        }

        /** Notes where a page's items start, and forgets the items of pages before the previous one. */
        private void startPage(HttpUrl page) {
            if (pageStarts.size() >= 2) {
                int keepFrom = pageStarts.get(pageStarts.size() - 1);
                recent.removeIf(item -> item.ordinal() < keepFrom);
            }
            pageStarts.add(handedOut);
            pageUrls.add(HttpFailures.forLog(page));
        }

        /** Hands the item out unless its id was handed out before in this scan. */
        private void accept(Codec codec, int index) {
            String page = pageUrls.get(pageUrls.size() - 1);
            Item item = new Item(codec, handedOut, page, index);
            String url = new String(codec.meta(), StandardCharsets.UTF_8);
            switch (seen.add(codec.id(), codec.name(), url, handedOut)) {
                case SAME_OBJECT -> {
                    listedTwice++;
                    LOG.debug("http source '{}': {} was listed before in this scan; left out", name, item.describe());
                    return;
                }
                case OTHER_OBJECT -> {
                    repeatedIds++;
                    LOG.warn("http source '{}': {} has id '{}', like {} listed earlier in this scan; left out, the "
                            + "first one is copied. An id must name one object: set idField to a field that is unique "
                            + "for each object (the URL is)", name, item.describe(), codec.id(), first(seen.firstOrdinal()));
                    return;
                }
                case UNCHECKED -> {
                    if (!uncheckedWarned) {
                        uncheckedWarned = true;
                        LOG.warn("http source '{}': more than {} objects in this scan: items that repeat an id are no "
                                + "longer detected from here on (the queue keeps one message per id and version)",
                                name, SeenIds.LIMIT);
                    }
                }
                case NEW -> {
                    // handed out below
                }
            }
            pending.add(codec);
            recent.add(item);
            handedOut++;
        }

        /** The item handed out as number {@code ordinal}: in full if it is recent, else by its page. */
        private String first(int ordinal) {
            for (Item item : recent) {
                if (item.ordinal() == ordinal) {
                    return item.describe();
                }
            }
            int page = Collections.binarySearch(pageStarts, ordinal);
            if (page < 0) {
                page = -page - 2;
            } else {
                while (page + 1 < pageStarts.size() && pageStarts.get(page + 1) == ordinal) {
                    page++; // pages without items handed out start at the same number
                }
            }
            return "an item of page " + pageUrls.get(page);
        }

        /** Logs what the scan listed and left out, once, when it is complete. */
        private void finish() {
            if (finished) {
                return;
            }
            finished = true;
            List<String> left = new ArrayList<>();
            if (repeatedIds > 0) {
                left.add(repeatedIds + (repeatedIds == 1 ? " item that repeats the id" : " items that repeat the id")
                        + " of another object");
            }
            if (listedTwice > 0) {
                left.add(listedTwice + (listedTwice == 1 ? " item" : " items") + " listed twice");
            }
            if (invalid > 0) {
                left.add(invalid + (invalid == 1 ? " item" : " items") + " without an id or a URL");
            }
            String line = "http source '" + name + "': scan listed " + handedOut + (handedOut == 1 ? " object on " : " objects on ") + pages
                    + (pages == 1 ? " page" : " pages") + (left.isEmpty() ? "" : "; left out " + String.join(", ", left)
                    + (repeatedIds + invalid > 0 ? " (see the warnings above)" : ""));
            if (repeatedIds + invalid > 0) {
                LOG.warn(line);
            } else if (listedTwice > 0) {
                LOG.info(line);
            } else {
                LOG.debug(line);
            }
        }
    }

    private Codec toCodec(JsonNode item, HttpUrl page, int index) {
        String where = "http source '" + name + "': item " + index + " of page " + HttpFailures.forLog(page);
        if (!item.isObject()) {
            LOG.warn("{} is a JSON {}, not an object; skipped", where, item.getNodeType().toString().toLowerCase(Locale.ROOT));
            return null;
        }
        Optional<String> id = listing.id().text(item);
        if (id.isEmpty()) {
            LOG.warn("{} has no id at '{}'; skipped", where, listing.id());
            return null;
        }
        String objectName = listing.name().text(item).orElse(id.get());
        HttpUrl url;
        if (listing.objectUrl() != null) {
            Optional<String> text = listing.objectUrl().text(item);
            if (text.isEmpty()) {
                LOG.warn("{} (id {}) has no URL at '{}'; skipped (set urlField or downloadUrl)", where, id.get(),
                        listing.objectUrl());
                return null;
            }
            url = page.resolve(text.get().trim());
            if (url == null) {
                LOG.warn("{} (id {}): '{}' is not an http(s) URL; skipped", where, id.get(), text.get());
                return null;
            }
        } else {
            try {
                url = listing.downloadUrl().expand(listing.url(), Map.of("id", id.get(), "name", objectName));
            } catch (IllegalArgumentException e) {
                LOG.warn("{} (id {}) cannot fill in downloadUrl: {}; skipped", where, id.get(), e.getMessage());
                return null;
            }
            if (url == null) {
                LOG.warn("{} (id {}): downloadUrl does not give an http(s) URL; skipped", where, id.get());
                return null;
            }
        }
        String version = listing.version() == null ? "" : listing.version().text(item).orElse("");
        long size = listing.size() == null ? -1 : size(listing.size().in(item));
        return new Codec(id.get(), objectName, url.toString().getBytes(StandardCharsets.UTF_8), version, size);
    }

    private static long size(JsonNode value) {
        if (value.canConvertToExactIntegral() && value.canConvertToLong() && value.asLong() >= 0) {
            return value.asLong();
        }
        if (value.isTextual() && value.asText().matches("\\d{1,18}")) {
            return Long.parseLong(value.asText());
        }
        return -1;
    }

    @Override
    public Blob download(Codec codec) throws IOException {
        HttpUrl url = objectUrl(codec);
        // identity: the stored bytes are the resource's bytes, and their length is known in advance
        Request request = new Request.Builder().url(url).header("Accept-Encoding", "identity").build();
        Response response = execute(request);
        try {
            if (!response.isSuccessful()) {
                if (response.code() == 404 || response.code() == 410) {
                    throw new PoisonException("object '" + codec.name() + "' (id " + codec.id() + ") of http source '" + name
                            + "' no longer exists at " + HttpFailures.forLog(url) + " (HTTP " + response.code() + ")");
                }
                throw HttpFailures.forStatus("GET", response);
            }
            ResponseBody body = response.body();
            String type = response.header("Content-Type");
            InputStream stream = HttpFailures.guard(body.byteStream(), url);
            long length = body.contentLength();
            return length >= 0 ? Blob.of(stream, length, type) : Blob.ofUnknownLength(stream, type);
        } catch (IOException | RuntimeException e) {
            response.close();
            throw e;
        }
    }

    /**
     * Sends the configured clean-up request. A 404 or 410 counts as success: the object is already gone.
     *
     * @throws PoisonException if clean-up is not configured, or the server refuses it for good
     */
    @Override
    public void cleanUp(Codec codec) throws IOException {
        if (cleanUp == null) {
            throw new PoisonException("cleanUp is not configured for http source '" + name
                    + "': set cleanUp: 'DELETE {url}' (a method and a URL template with {url}, {id} or {name}) "
                    + "to remove objects after copying, or turn off cleanUp in the workflow");
        }
        HttpUrl url;
        try {
            url = cleanUp.url().expand(listing.url(), Map.of(
                    "url", cleanUp.url().uses("url") ? objectUrl(codec).toString() : "",
                    "id", codec.id(), "name", codec.name()));
        } catch (IllegalArgumentException e) {
            throw new PoisonException("object '" + codec.name() + "' (id " + codec.id() + ") of http source '" + name
                    + "' cannot be cleaned up with " + cleanUp + ": " + e.getMessage());
        }
        if (url == null) {
            throw new PoisonException("object '" + codec.name() + "' (id " + codec.id() + ") of http source '" + name + "': cleanUp "
                    + cleanUp + " does not give an http(s) URL");
        }
        RequestBody body = cleanUp.method().equals("DELETE") ? null : RequestBody.create(new byte[0]);
        Request request = new Request.Builder().url(url).method(cleanUp.method(), body).build();
        try (Response response = execute(request)) {
            if (response.isSuccessful() || response.code() == 404 || response.code() == 410) {
                return;
            }
            throw HttpFailures.forStatus(cleanUp.method(), response);
        }
    }

    /** The object's URL: from the codec's meta, else from {@code downloadUrl}. */
    private HttpUrl objectUrl(Codec codec) throws PoisonException {
        byte[] meta = codec.meta();
        if (meta.length > 0) {
            HttpUrl url = HttpUrl.parse(new String(meta, StandardCharsets.UTF_8));
            if (url == null) {
                throw new PoisonException("object '" + codec.name() + "' (id " + codec.id() + ") of http source '" + name
                        + "': its message does not carry an http(s) URL");
            }
            return url;
        }
        if (listing.downloadUrl() != null) {
            try {
                HttpUrl url = listing.downloadUrl().expand(listing.url(), Map.of("id", codec.id(), "name", codec.name()));
                if (url != null) {
                    return url;
                }
            } catch (IllegalArgumentException e) {
                throw new PoisonException("object '" + codec.name() + "' (id " + codec.id() + ") of http source '" + name
                        + "' cannot fill in downloadUrl: " + e.getMessage());
            }
        }
        throw new PoisonException("object '" + codec.name() + "' (id " + codec.id() + ") of http source '" + name
                + "': its message carries no URL (it was not queued by this source) and downloadUrl is not set");
    }

    private Response execute(Request request) throws IOException {
        return ClientSettings.execute(client, closed.get(), "http source '" + name + "'", request);
    }

    /** Releases the client's connections and threads. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            ClientSettings.shutdown(client);
        }
    }

    @Override
    public String toString() {
        return "HttpSource[" + name + ": " + HttpFailures.forLog(listing.url()) + "]";
    }
}
