package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Inventory;
import dev.ingest.api.Listed;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginRole;
import dev.ingest.api.Scan;
import dev.ingest.testkit.S3ServerExtension;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Folder-by-folder listing with folders listed ahead ({@code listConcurrency}) against a real S3 API server
 * (s3proxy on disk): the keys and their order are the flat listing's, failures surface where the iteration
 * reaches them, and closing a listing stops its threads.
 */
class ListingsIT {

    @RegisterExtension
    static final S3ServerExtension S3 = new S3ServerExtension();

    /** A nested tree: several levels, folders over pages of 3, folders between objects, a dated tree, a deep chain. */
    private static final List<String> TREE = tree();
    private static String bucket;

    private static List<String> tree() {
        List<String> keys = new ArrayList<>(List.of("a-b", "a.txt", "a/b-c", "a/b/c", "a/b/d/e", "a0", "d/e",
                "d/\u00e9/x", "z", "x/y/z/w/v/u/file", "m/a", "m/b/x", "m/c", "m/d/x", "m/d/y/z", "m/e", "big/sub1/x",
                "big/sub2/x", "big/zz"));
        for (int f = 0; f < 20; f++) {
            for (int k = 0; k < 5; k++) {
                keys.add(String.format("w/f%02d/k%d", f, k));
            }
        }
        for (int k = 0; k < 25; k++) {
            keys.add(String.format("big/k%03d", k));
        }
        for (int month = 1; month <= 3; month++) {
            for (int day = 1; day <= 6; day++) {
                keys.add(String.format("y/2024/m%02d/d%02d/one", month, day));
                keys.add(String.format("y/2024/m%02d/d%02d/two", month, day));
            }
        }
        keys.add("y/2025/m01/d01/one");
        keys.sort(Inventory::compareNames);
        return List.copyOf(keys);
    }

    @BeforeAll
    static void putTree() throws Exception {
        bucket = S3.createBucket();
        put(bucket, TREE);
    }

    private static void put(String bucket, List<String> keys) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> puts = new ArrayList<>();
            for (String key : keys) {
                puts.add(pool.submit(() -> S3.put(bucket, key, "content of " + key)));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    /** Counts the ListObjectsV2 requests in flight and records the threads that sent them; fails one folder's. */
    private static final class Watcher implements ExecutionInterceptor {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final AtomicInteger requests = new AtomicInteger();
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        volatile String failing;

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof ListObjectsV2Request r) {
                requests.incrementAndGet();
                threads.add(Thread.currentThread().getName());
                if (r.prefix() != null && r.prefix().equals(failing)) {
                    throw SdkClientException.create("injected failure listing " + r.prefix());
                }
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            }
        }

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof ListObjectsV2Request) {
                inFlight.decrementAndGet();
            }
        }

        @Override
        public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof ListObjectsV2Request r && !Objects.equals(r.prefix(), failing)) {
                inFlight.decrementAndGet();
            }
        }
    }

    private static Watcher watcher;
    private static S3Client client;

    @BeforeAll
    static void watchedClient() {
        watcher = new Watcher();
        client = S3Client.builder()
                .endpointOverride(S3.endpointUri())
                .region(Region.of(S3.region()))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3.accessKey(), S3.secretKey())))
                .httpClientBuilder(Apache5HttpClient.builder().maxConnections(64))
                .overrideConfiguration(o -> o.addExecutionInterceptor(watcher))
                .build();
    }

    @AfterAll
    static void closeClient() {
        client.close();
    }

    private static S3Settings settings(String name, String bucket, Object... more) {
        PluginConfig config = PluginConfig.of(name, S3PluginIT.config(S3, bucket, more));
        S3Settings settings = S3Settings.parse(config, PluginRole.SOURCE);
        assertThat(config.problems()).isEmpty();
        return settings;
    }

    private static List<String> keys(Listings.Listing listing) {
        List<String> out = new ArrayList<>();
        try (listing) {
            listing.forEachRemaining(o -> out.add(o.key()));
        }
        return out;
    }

    private static List<String> under(String prefix) {
        return TREE.stream().filter(k -> k.startsWith(prefix)).toList();
    }

    @Test
    void foldersListedAheadGiveTheFlatListingsKeysInItsOrder() {
        for (Integer pageSize : new Integer[] {3, null}) {
            List<String> flat = keys(Listings.objects(client, settings("flat", bucket), "", false, pageSize));
            assertThat(flat).as("the flat listing, pages of %s", pageSize).containsExactlyElementsOf(TREE);
            for (int concurrency : new int[] {1, 2, 8}) {
                watcher.threads.clear();
                watcher.maxInFlight.set(0);
                String name = "order" + concurrency;
                S3Settings s = settings(name, bucket, "listByPrefix", true, "listConcurrency", concurrency);
                assertThat(keys(Listings.objects(client, s, "", false, pageSize)))
                        .as("listConcurrency %d, pages of %s", concurrency, pageSize).containsExactlyElementsOf(flat);
                for (String prefix : pageSize == null ? List.<String>of() : List.of("w/", "y/20", "m", "x/y/")) {
                    assertThat(keys(Listings.objects(client, s, prefix, false, pageSize)))
                            .as("under '%s', listConcurrency %d, pages of %s", prefix, concurrency, pageSize)
                            .containsExactlyElementsOf(under(prefix));
                }
                assertThat(watcher.maxInFlight.get()).as("requests in flight at once").isBetween(1, concurrency);
                List<String> ahead = watcher.threads.stream().filter(t -> t.startsWith("s3-list-" + name + "-"))
                        .toList();
                if (concurrency == 1) {
                    assertThat(ahead).as("one folder after another, on the iterating thread").isEmpty();
                } else {
                    assertThat(ahead).as("folders listed ahead on the listing's threads").isNotEmpty();
                }
            }
        }
        assertThat(liveThreads("s3-list-order")).as("listings that reached their end stop their threads").isEmpty();
    }

    @Test
    void aFolderWhoseListingFailsThrowsWhereTheIterationReachesIt() {
        String failing = "w/f07/";
        List<String> before = TREE.stream().filter(k -> Inventory.compareNames(k, failing) < 0).toList();
        watcher.failing = failing;
        try {
            for (int concurrency : new int[] {1, 2, 8}) {
                S3Settings s = settings("failing" + concurrency, bucket, "listByPrefix", true, "listConcurrency",
                        concurrency);
                List<String> listed = new ArrayList<>();
                Listings.Listing listing = Listings.objects(client, s, "", false, 3);
                assertThatThrownBy(() -> {
                    while (listing.hasNext()) {
                        listed.add(listing.next().key());
                    }
                }).as("listConcurrency %d", concurrency).isInstanceOf(SdkException.class)
                        .hasMessageContaining("injected failure listing w/f07/");
                assertThat(listed).as("every key before the folder, listConcurrency %d", concurrency)
                        .containsExactlyElementsOf(before);
                assertThatThrownBy(listing::hasNext).as("the failure stays").isInstanceOf(SdkException.class);
                listing.close();
            }
        } finally {
            watcher.failing = null;
        }
        assertThat(liveThreads("s3-list-failing")).as("a failed listing stops its threads").isEmpty();
    }

    @Test
    void aBucketDeletedMidListingFailsTheIterationInsteadOfEndingIt() throws Exception {
        String doomed = S3.createBucket();
        List<String> keys = TREE.stream().filter(k -> k.startsWith("w/")).toList();
        put(doomed, keys);
        S3Settings s = settings("doomed", doomed, "listByPrefix", true, "listConcurrency", 8);
        Listings.Listing listing = Listings.objects(client, s, "", false, 3);
        assertThat(listing.next().key()).isEqualTo("w/f00/k0");
        for (String key : keys) {
            S3.client().deleteObject(b -> b.bucket(doomed).key(key));
        }
        S3.client().deleteBucket(b -> b.bucket(doomed));
        List<String> listed = new ArrayList<>();
        assertThatThrownBy(() -> listing.forEachRemaining(o -> listed.add(o.key())))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(404));
        assertThat(listed).as("at most the folders listed before the bucket went").hasSizeLessThan(keys.size() - 1);
        listing.close();
    }

    @Test
    void closingAListingMidwayStopsItsThreads() {
        S3Settings s = settings("closed-listing", bucket, "listByPrefix", true, "listConcurrency", 8);
        watcher.threads.clear();
        Listings.Listing listing = Listings.objects(client, s, "w/", false, 3);
        assertThat(listing.next().key()).isEqualTo("w/f00/k0");
        assertThat(watcher.threads).as("the folders ahead are listed on the listing's threads")
                .anyMatch(t -> t.startsWith("s3-list-closed-listing-"));
        listing.close();
        assertThat(liveThreads("s3-list-closed-listing-")).isEmpty();
        assertThatThrownBy(listing::hasNext).as("a closed listing lists no more").isInstanceOf(SdkException.class)
                .hasMessageContaining("was closed");
    }

    @Test
    void closingAScanOrAnInventoryMidwayStopsTheirListingThreads() throws Exception {
        S3PluginProvider provider = new S3PluginProvider();
        try (S3Source source = new S3Source(S3PluginProvider.connect(PluginConfig.of("closed-scan",
                S3PluginIT.config(S3, bucket, "listByPrefix", true, "prefix", "w/")), PluginRole.SOURCE), 3)) {
            Scan scan = source.scan();
            Optional<Codec> first = scan.next();
            assertThat(first).map(Codec::id).contains("w/f00/k0");
            assertThat(threadNames()).as("listing ahead").anyMatch(t -> t.startsWith("s3-list-closed-scan-"));
            scan.close();
            assertThat(liveThreads("s3-list-closed-scan-")).isEmpty();

            List<String> all = new ArrayList<>();
            try (Scan whole = source.scan()) {
                for (Optional<Codec> c = whole.next(); c.isPresent(); c = whole.next()) {
                    all.add(c.get().id());
                }
            }
            assertThat(all).containsExactlyElementsOf(under("w/"));
        }
        try (Destination destination = provider.createDestination(PluginConfig.of("closed-inventory",
                S3PluginIT.config(S3, bucket, "listByPrefix", true, "prefix", "w/")))) {
            Inventory inventory = destination.inventory().orElseThrow();
            Optional<Listed> first = inventory.next();
            assertThat(first).map(Listed::name).contains("f00/k0");
            assertThat(threadNames()).as("listing ahead").anyMatch(t -> t.startsWith("s3-list-closed-inventory-"));
            inventory.close();
            assertThat(liveThreads("s3-list-closed-inventory-")).isEmpty();
        }
    }

    private static Set<String> threadNames() {
        Set<String> names = ConcurrentHashMap.newKeySet();
        Thread.getAllStackTraces().keySet().forEach(t -> names.add(t.getName()));
        return names;
    }

    /**
     * The threads named {@code prefix}... still alive once each had its chance to end: joined for up to 30 s each,
     * well under the {@value Listings.FolderListing#IDLE_SECONDS} s after which an idle thread of a listing ends
     * by itself, so only a stopped listing passes.
     */
    private static List<String> liveThreads(String prefix) {
        List<String> alive = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!t.getName().startsWith(prefix)) {
                continue;
            }
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (t.isAlive()) {
                alive.add(t.getName());
            }
        }
        return alive;
    }

    @Test
    void listingAheadSendsNoMoreRequestsThanListingOneFolderAfterAnother() {
        // a flat tree (20 folders of 5 keys, in pages of 3) and the whole nested one
        for (String prefix : List.of("w/", "")) {
            List<Integer> requests = new ArrayList<>();
            for (int concurrency : new int[] {1, 8}) {
                S3Settings s = settings("requests" + concurrency, bucket, "listByPrefix", true, "listConcurrency",
                        concurrency);
                int before = watcher.requests.get();
                assertThat(keys(Listings.objects(client, s, prefix, false, 3))).containsExactlyElementsOf(under(prefix));
                requests.add(watcher.requests.get() - before);
            }
            if (prefix.equals("w/")) {
                assertThat(requests).as("under '%s'", prefix).containsExactly(requests.get(0), requests.get(0));
            } else {
                assertThat(requests.get(1)).as("a deep tree may list some folders twice").isGreaterThanOrEqualTo(requests.get(0));
            }
        }
    }
}
