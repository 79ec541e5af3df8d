package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.Blob;
import dev.ingest.api.Scan;
import dev.ingest.api.Codec;
import dev.ingest.api.ConfigException;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginRole;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Source;
import dev.ingest.testkit.S3ServerExtension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;

/** The plugin against a real S3 API server (s3proxy on disk). */
class S3PluginIT {

    @RegisterExtension
    static final S3ServerExtension S3 = new S3ServerExtension();

    private final S3PluginProvider provider = new S3PluginProvider();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private static Map<String, Object> config(String bucket, Object... more) {
        return config(S3, bucket, more);
    }

    /**
     * The keys of an s3 source or destination on a test server.
     *
     * @param s3 the server
     * @param bucket the bucket
     * @param more further keys and values, alternating
     * @return the values of a PluginConfig
     */
    static Map<String, Object> config(S3ServerExtension s3, String bucket, Object... more) {
        Map<String, Object> m = new HashMap<>();
        m.put("endpoint", s3.endpoint());
        m.put("bucket", bucket);
        m.put("accessKeyID", s3.accessKey());
        m.put("secretAccessKey", s3.secretKey());
        for (int i = 0; i < more.length; i += 2) {
            m.put((String) more[i], more[i + 1]);
        }
        return m;
    }

    private Source source(String bucket, Object... more) throws Exception {
        Source s = provider.createSource(PluginConfig.of("src", config(bucket, more)));
        toClose.add(s);
        return s;
    }

    private S3Source pagedSource(String bucket, int pageSize, Object... more) throws Exception {
        S3Source s = new S3Source(S3PluginProvider.connect(PluginConfig.of("src", config(bucket, more)), PluginRole.SOURCE),
                pageSize);
        toClose.add(s);
        return s;
    }

    private Destination destination(String bucket, Object... more) throws Exception {
        Destination d = provider.createDestination(PluginConfig.of("dst", config(bucket, more)));
        toClose.add(d);
        return d;
    }

    private static List<Codec> scan(Source source) throws IOException {
        List<Codec> out = new ArrayList<>();
        Scan scan = source.scan();
        for (Optional<Codec> c = scan.next(); c.isPresent(); c = scan.next()) {
            out.add(c.get());
        }
        return out;
    }

    private static void putBytes(String bucket, String key, byte[] content) {
        S3.client().putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }

    private static String storedSha(String bucket, String key) throws IOException {
        return TestData.sha256(S3.client().getObject(b -> b.bucket(bucket).key(key)));
    }

    private static HeadObjectResponse head(String bucket, String key) {
        return S3.client().headObject(b -> b.bucket(bucket).key(key));
    }

    // ---- source ----

    @Test
    void listsEveryKeyAcrossPagesOfAThousand() throws Exception {
        String bucket = S3.createBucket();
        int count = 1100;
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String key = String.format("many/k-%04d", i);
                puts.add(pool.submit(() -> S3.put(bucket, key, key)));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        ListObjectsV2Response firstPage = S3.client().listObjectsV2(b -> b.bucket(bucket));
        assertThat(firstPage.isTruncated()).as("the server pages at 1000 keys").isTrue();
        assertThat(firstPage.contents()).hasSize(1000);

        List<Codec> listed = scan(source(bucket));
        assertThat(listed).hasSize(count).extracting(Codec::id).doesNotHaveDuplicates()
                .contains("many/k-0000", "many/k-0999", "many/k-1000", "many/k-1099");
    }

    @Test
    void smallPagesAreFetchedOneAfterAnotherAndAScanCanBeRestarted() throws Exception {
        String bucket = S3.createBucket();
        for (int i = 0; i < 23; i++) {
            S3.put(bucket, "p/" + i, "x".repeat(i));
        }
        S3Source source = pagedSource(bucket, 5);
        assertThat(scan(source)).hasSize(23);
        Scan scan = source.scan();
        assertThat(scan.next()).isPresent();
        assertThat(scan(source)).as("reset starts over").hasSize(23);
    }

    @Test
    void codecsCarryKeyNameWithoutPrefixEtagAndSizeAndFolderMarkersAreSkipped() throws Exception {
        String bucket = S3.createBucket();
        S3.put(bucket, "in/a.txt", "alpha");
        S3.put(bucket, "in/sub dir/b é.txt", "beta!");
        S3.put(bucket, "in/empty-folder/", "");
        S3.put(bucket, "other/c.txt", "gamma");
        String etag = head(bucket, "in/a.txt").eTag().replace("\"", "");

        List<Codec> listed = scan(source(bucket, "prefix", "in/"));
        assertThat(listed).containsExactly(
                Codec.of("in/a.txt", "a.txt", etag, 5),
                Codec.of("in/sub dir/b é.txt", "sub dir/b é.txt", head(bucket, "in/sub dir/b é.txt").eTag().replace("\"", ""), 5));
        assertThat(scan(source(bucket, "prefix", "in"))).extracting(Codec::name)
                .containsExactly("a.txt", "sub dir/b é.txt");
        assertThat(scan(source(bucket))).extracting(Codec::name)
                .containsExactly("in/a.txt", "in/sub dir/b é.txt", "other/c.txt");
    }

    /**
     * Names whose folder-by-folder listing must come out in the flat listing's order: {@code -} and {@code .} sort
     * before {@code /}, {@code 0} after it. (The test server keeps keys as files, so no key is also a folder.)
     */
    private static final List<String> TRICKY_KEYS = List.of("a-b", "a.txt", "a/b-c", "a/b/c", "a/b/d/e", "a0", "b/",
            "b/x", "d/e", "d/\u00e9/x", "z");

    @Test
    void listByPrefixListsTheSameKeysInTheSameOrderFolderByFolder() throws Exception {
        String bucket = S3.createBucket();
        for (String key : TRICKY_KEYS) {
            S3.put(bucket, key, key.endsWith("/") ? "" : "content of " + key);
        }
        for (int i = 10; i < 22; i++) {
            S3.put(bucket, "p/" + i, "x"); // a folder over pages of 5
        }
        List<String> flat = scan(pagedSource(bucket, 5)).stream().map(Codec::id).toList();
        List<String> expected = new ArrayList<>(TRICKY_KEYS.stream().filter(k -> !k.endsWith("/")).toList());
        for (int i = 10; i < 22; i++) {
            expected.add("p/" + i);
        }
        expected.sort(dev.ingest.api.Inventory::compareNames);
        assertThat(flat).as("the flat listing, in UTF-8 order, folder markers skipped").containsExactlyElementsOf(expected);

        assertThat(scan(pagedSource(bucket, 5, "listByPrefix", true))).extracting(Codec::id)
                .containsExactlyElementsOf(flat);
        assertThat(scan(source(bucket, "listByPrefix", true))).extracting(Codec::id).containsExactlyElementsOf(flat);
        for (String prefix : List.of("a", "a/", "a/b", "d/", "nothing")) {
            assertThat(scan(source(bucket, "listByPrefix", true, "prefix", prefix))).as("under '%s'", prefix)
                    .containsExactlyElementsOf(scan(source(bucket, "prefix", prefix)));
        }
    }

    @Test
    void aDestinationWithListByPrefixTakesStockInTheFlatListingsOrder() throws Exception {
        String bucket = S3.createBucket();
        for (String key : TRICKY_KEYS) {
            S3.put(bucket, "out/" + key, key.endsWith("/") ? "" : "content of " + key);
        }
        List<String> flat = new ArrayList<>();
        List<String> byFolder = new ArrayList<>();
        for (boolean folders : new boolean[] {false, true}) {
            try (dev.ingest.api.Inventory inventory = destination(bucket, "prefix", "out/", "listByPrefix", folders)
                    .inventory().orElseThrow()) {
                for (Optional<dev.ingest.api.Listed> e = inventory.next(); e.isPresent(); e = inventory.next()) {
                    (folders ? byFolder : flat).add(e.get().name());
                }
            }
        }
        assertThat(flat).hasSize(TRICKY_KEYS.size() - 1); // the folder marker is not an object
        assertThat(byFolder).containsExactlyElementsOf(flat);
    }

    @Test
    void nonRecursiveListsOnlyTheFirstLevelBelowThePrefix() throws Exception {
        String bucket = S3.createBucket();
        S3.put(bucket, "in/top.txt", "1");
        S3.put(bucket, "in/deeper/below.txt", "2");
        S3.put(bucket, "root.txt", "3");
        assertThat(scan(source(bucket, "prefix", "in/", "recursive", false))).extracting(Codec::name)
                .containsExactly("top.txt");
        assertThat(scan(source(bucket, "recursive", "false"))).extracting(Codec::name).containsExactly("root.txt");
        assertThat(scan(source(bucket, "prefix", "in/"))).extracting(Codec::name)
                .containsExactly("deeper/below.txt", "top.txt");
    }

    @Test
    void downloadStreamsTheContentWithItsTypeAndLength() throws Exception {
        String bucket = S3.createBucket();
        byte[] content = TestData.bytes(7, 300_000);
        S3.client().putObject(b -> b.bucket(bucket).key("d/data.bin").contentType("application/x-test"),
                RequestBody.fromBytes(content));
        Source source = source(bucket, "prefix", "d/");
        Codec codec = scan(source).get(0);
        try (Blob blob = source.download(codec)) {
            assertThat(blob.length()).hasValue(content.length);
            assertThat(blob.contentType()).isEqualTo("application/x-test");
            assertThat(blob.stream().readAllBytes()).isEqualTo(content);
        }
    }

    @Test
    void closingADownloadEarlyAbortsItAndLeavesTheSourceUsable() throws Exception {
        String bucket = S3.createBucket();
        putBytes(bucket, "big", TestData.bytes(1, 8 * TestData.MIB));
        Source source = source(bucket);
        Codec codec = scan(source).get(0);
        for (int i = 0; i < 80; i++) { // more than the connection pool holds: aborted requests return their connection
            try (Blob blob = source.download(codec)) {
                assertThat(blob.stream().read(new byte[1024])).isPositive();
            }
        }
        try (Blob blob = source.download(codec)) {
            assertThat(TestData.sha256(blob.stream())).isEqualTo(TestData.sha256(TestData.bytes(1, 8 * TestData.MIB)));
        }
    }

    @Test
    void closingTheDownloadOfASmallObjectUnreadKeepsItsConnectionAndALargeOneAbortsIt() throws Exception {
        String bucket = S3.createBucket();
        putBytes(bucket, "small", TestData.bytes(2, 4000));
        putBytes(bucket, "large", TestData.bytes(3, 2 * TestData.MIB));
        Source source = source(bucket);
        for (Codec codec : scan(source)) {
            Blob blob = source.download(codec);
            blob.close(); // as a destination that copied it server-side does
            assertThat(((S3Source.AbortingStream) blob.stream()).aborted()).as(codec.name())
                    .isEqualTo(codec.name().equals("large"));
        }
        for (int i = 0; i < 100; i++) { // more than the pool holds: every connection came back
            source.download(Codec.of("small", "small")).close();
        }
        try (Blob blob = source.download(Codec.of("small", "small"))) {
            assertThat(blob.stream().readAllBytes()).isEqualTo(TestData.bytes(2, 4000));
        }
    }

    @Test
    void downloadingAnObjectThatVanishedIsPoisonNamingBucketAndKey() throws Exception {
        String bucket = S3.createBucket();
        S3.put(bucket, "gone.txt", "soon gone");
        Source source = source(bucket);
        Codec codec = scan(source).get(0);
        S3.client().deleteObject(b -> b.bucket(bucket).key("gone.txt"));
        assertThatThrownBy(() -> source.download(codec)).isInstanceOf(PoisonException.class)
                .hasMessageContaining("'gone.txt'").hasMessageContaining("bucket '" + bucket + "'")
                .hasMessageContaining("vanished between listing and download").hasMessageContaining(S3.endpoint());
    }

    @Test
    void cleanUpDeletesTheObjectAndSucceedsWhenItIsAlreadyGone() throws Exception {
        String bucket = S3.createBucket();
        S3.put(bucket, "x/a.txt", "a");
        S3.put(bucket, "x/b.txt", "b");
        Source source = source(bucket, "prefix", "x/");
        List<Codec> codecs = scan(source);
        source.cleanUp(codecs.get(0));
        assertThat(S3.keys(bucket)).containsExactly("x/b.txt");
        source.cleanUp(codecs.get(0));
        source.cleanUp(Codec.of("x/never-existed", "never-existed"));
        assertThat(S3.keys(bucket)).containsExactly("x/b.txt");
    }

    @Test
    void cleanUpLeavesAnObjectRewrittenSinceItWasListed() throws Exception {
        String bucket = S3.createBucket();
        S3.put(bucket, "r.txt", "first");
        Source source = source(bucket);
        Codec listed = scan(source).get(0);
        S3.put(bucket, "r.txt", "second, longer");
        source.cleanUp(listed);
        assertThat(S3.get(bucket, "r.txt")).isEqualTo("second, longer");
        Codec relisted = scan(source).get(0);
        assertThat(relisted.version()).isNotEqualTo(listed.version());
        source.cleanUp(relisted);
        assertThat(S3.keys(bucket)).isEmpty();
    }

    // ---- destination ----

    @Test
    void statFindsAStoredObjectOnlyWithTheListedSize() throws Exception {
        String bucket = S3.createBucket();
        Destination d = destination(bucket, "prefix", "out");
        Codec codec = Codec.of("in/a b.txt", "a b.txt", "v1", 5);
        assertThat(d.stat(codec)).isEmpty();
        URI uri = d.store(codec, Blob.of(new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)), 5, "text/plain"));
        assertThat(uri).isEqualTo(URI.create("s3://" + bucket + "/out/a%20b.txt"));
        assertThat(d.stat(codec)).contains(uri);
        assertThat(d.stat(Codec.of("in/a b.txt", "a b.txt", "v2", 6))).as("another size").isEmpty();
        assertThat(d.stat(Codec.of("in/a b.txt", "a b.txt"))).as("size unknown").contains(uri);
        assertThat(S3.get(bucket, "out/a b.txt")).isEqualTo("hello");
        assertThat(head(bucket, "out/a b.txt").contentType()).isEqualTo("text/plain");
    }

    @Test
    void anObjectStoredForAnotherVersionIsNotPresentEvenWithTheSameSize() throws Exception {
        String bucket = S3.createBucket();
        Destination d = destination(bucket);
        Codec v1 = Codec.of("k", "k", "etag-1", 5);
        d.store(v1, Blob.of(new ByteArrayInputStream("first".getBytes(StandardCharsets.UTF_8)), 5, null));
        assertThat(head(bucket, "k").metadata()).containsEntry("ingest-version", "etag-1");
        assertThat(d.stat(v1)).isPresent();
        assertThat(d.stat(Codec.of("k", "k", "etag-2", 5))).as("changed at the source, same size").isEmpty();
        assertThat(d.stat(Codec.of("k", "k", "", 5))).as("no version to compare").isPresent();

        S3.put(bucket, "by-hand", "12345"); // stored by other means: no version, judged by size
        assertThat(d.stat(Codec.of("by-hand", "by-hand", "anything", 5))).isPresent();
    }

    @Test
    void bodiesAreSentUnsignedByDefaultAndSignedInChunksWithSignPayload() throws Exception {
        String bucket = S3.createBucket();
        long small = 300 * 1024 + 7; // several 128 KiB signed chunks, one PutObject
        long large = 5 * TestData.MIB + small; // two parts of a multipart upload
        // The destinations talk to s3proxy through a proxy that records what went over the wire.
        try (RecordingProxy wire = RecordingProxy.start(S3.endpointUri())) {
            for (boolean signed : new boolean[] {false, true}) {
                Destination d = destination(bucket, "endpoint", wire.endpoint(), "signPayload", signed,
                        "partSize", "5MiB", "multipartThreshold", "5MiB");
                String key = "put-signed-" + signed + ".bin";
                String inParts = "parts-signed-" + signed + ".bin";
                d.store(Codec.of(key, key, "v1", small), Blob.of(TestData.generated(5, small), small, null));
                d.store(Codec.of(inParts, inParts, "v1", large), Blob.of(TestData.generated(6, large), large, null));
                assertThat(storedSha(bucket, key)).isEqualTo(TestData.sha256(TestData.generated(5, small)));
                assertThat(storedSha(bucket, inParts)).isEqualTo(TestData.sha256(TestData.generated(6, large)));

                List<RecordingProxy.Request> puts = uploads(wire, bucket, key);
                assertThat(puts).as("PutObject of %s", key).singleElement()
                        .satisfies(r -> assertThat(r.target()).isEqualTo("/" + bucket + "/" + key));
                List<RecordingProxy.Request> parts = uploads(wire, bucket, inParts);
                assertThat(parts).as("UploadPart requests of %s", inParts).hasSize(2)
                        .allSatisfy(r -> assertThat(r.target()).contains("partNumber=").contains("uploadId="));
                assertThat(parts).extracting(r -> r.target().replaceAll(".*[?&]partNumber=(\\d+).*", "$1"))
                        .containsExactlyInAnyOrder("1", "2");
                List<RecordingProxy.Request> all = new ArrayList<>(puts);
                all.addAll(parts);
                for (RecordingProxy.Request upload : all) {
                    String what = upload.method() + " " + upload.target();
                    // the parts go in parallel, so in any order: the first is a whole part, the second the rest
                    long length = upload.target().matches(".*[?&]partNumber=1(&.*)?") ? 5 * TestData.MIB : small;
                    assertThat(upload.header("authorization")).as("%s: request signed", what)
                            .hasValueSatisfying(v -> assertThat(v).startsWith("AWS4-HMAC-SHA256 ")
                                    .contains("x-amz-content-sha256"));
                    if (signed) {
                        assertThat(upload.header("x-amz-content-sha256")).as("%s: payload signed in chunks", what)
                                .contains("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
                        assertThat(upload.header("content-encoding")).as(what)
                                .hasValueSatisfying(v -> assertThat(v).contains("aws-chunked"));
                        assertThat(upload.header("x-amz-decoded-content-length")).as(what)
                                .contains(Long.toString(length));
                    } else {
                        assertThat(upload.header("x-amz-content-sha256")).as("%s: payload unsigned", what)
                                .contains("UNSIGNED-PAYLOAD");
                        assertThat(upload.header("content-length")).as(what).contains(Long.toString(length));
                        assertThat(upload.header("content-encoding")).as(what).isEmpty();
                    }
                }
            }
        }
    }

    /** @return the PUT requests (PutObject, UploadPart) the proxy forwarded for a key */
    private static List<RecordingProxy.Request> uploads(RecordingProxy wire, String bucket, String key) {
        String path = "/" + bucket + "/" + key;
        return wire.requests().stream()
                .filter(r -> r.method().equals("PUT") && (r.target().equals(path) || r.target().startsWith(path + "?")))
                .toList();
    }

    @Test
    void anObjectAboveTheThresholdIsUploadedInPartsFromOneBuffer() throws Exception {
        String bucket = S3.createBucket();
        Destination d = destination(bucket, "partSize", "5MiB", "multipartThreshold", "5MiB");
        long size = 12L * TestData.MIB + 123;
        Codec codec = Codec.of("big.bin", "big.bin", "", size);
        d.store(codec, Blob.of(TestData.generated(3, size), size, "application/x-big"));
        HeadObjectResponse head = head(bucket, "big.bin");
        assertThat(head.contentLength()).isEqualTo(size);
        assertThat(head.contentType()).isEqualTo("application/x-big");
        assertThat(head.eTag()).as("a multipart ETag counts its parts").endsWith("-3\"");
        assertThat(storedSha(bucket, "big.bin")).isEqualTo(TestData.sha256(TestData.generated(3, size)));
        assertThat(S3.pendingUploads(bucket)).isEmpty();
        assertThat(d.stat(codec)).isPresent();
    }

    @Test
    void anObjectOfUnknownLengthIsUploadedInPartsAndASmallOneInOnePut() throws Exception {
        String bucket = S3.createBucket();
        Destination d = destination(bucket, "partSize", 5 * TestData.MIB);
        long size = 12L * TestData.MIB;
        d.store(Codec.of("u.bin", "u.bin"), Blob.ofUnknownLength(TestData.generated(4, size), null));
        assertThat(head(bucket, "u.bin").contentLength()).isEqualTo(size);
        assertThat(head(bucket, "u.bin").eTag()).endsWith("-3\"");
        assertThat(storedSha(bucket, "u.bin")).isEqualTo(TestData.sha256(TestData.generated(4, size)));

        d.store(Codec.of("small", "small"), Blob.ofUnknownLength(TestData.generated(5, 1000), null));
        assertThat(head(bucket, "small").eTag()).doesNotContain("-");
        assertThat(storedSha(bucket, "small")).isEqualTo(TestData.sha256(TestData.generated(5, 1000)));

        d.store(Codec.of("empty", "empty"), Blob.ofUnknownLength(InputStream.nullInputStream(), null));
        assertThat(head(bucket, "empty").contentLength()).isZero();
        assertThat(S3.pendingUploads(bucket)).isEmpty();
    }

    @Test
    void anObjectOfExactlyOnePartAndAnEmptyObjectAreStored() throws Exception {
        String bucket = S3.createBucket();
        Destination d = destination(bucket, "partSize", "5MiB", "multipartThreshold", 0);
        long size = 5L * TestData.MIB;
        d.store(Codec.of("one", "one"), Blob.of(TestData.generated(6, size), size, null));
        assertThat(storedSha(bucket, "one")).isEqualTo(TestData.sha256(TestData.generated(6, size)));
        d.store(Codec.of("zero", "zero"), Blob.of(InputStream.nullInputStream(), 0, null));
        assertThat(head(bucket, "zero").contentLength()).isZero();
        assertThat(S3.pendingUploads(bucket)).isEmpty();
    }

    @Test
    void aFailingStreamAbortsTheMultipartUploadAndLeavesNothing() throws Exception {
        String bucket = S3.createBucket();
        Destination d = destination(bucket, "partSize", "5MiB", "multipartThreshold", "5MiB");
        IOException broken = new IOException("source connection reset");
        assertThatThrownBy(() -> d.store(Codec.of("f.bin", "f.bin"),
                Blob.of(TestData.failingAfter(12L * TestData.MIB, broken), 20L * TestData.MIB, null)))
                .isSameAs(broken);
        assertThat(S3.keys(bucket)).isEmpty();
        assertThat(S3.pendingUploads(bucket)).as("no multipart upload stays pending").isEmpty();
    }

    @Test
    void aSourceShorterOrLongerThanAnnouncedFailsAndLeavesNothing() throws Exception {
        String bucket = S3.createBucket();
        Destination d = destination(bucket, "partSize", "5MiB", "multipartThreshold", "5MiB");
        long announced = 11L * TestData.MIB;
        assertThatThrownBy(() -> d.store(Codec.of("short.bin", "short.bin"),
                Blob.of(TestData.generated(1, announced - 10), announced, null)))
                .isInstanceOf(IOException.class).isNotInstanceOf(PoisonException.class)
                .hasMessageContaining("sent " + (announced - 10) + " bytes but announced " + announced);
        assertThatThrownBy(() -> d.store(Codec.of("long.bin", "long.bin"),
                Blob.of(TestData.generated(1, announced + 10), announced, null)))
                .isInstanceOf(IOException.class).hasMessageContaining("more than the " + announced + " bytes");
        assertThatThrownBy(() -> d.store(Codec.of("short-small", "short-small"),
                Blob.of(TestData.generated(1, 1000), 2000, null)))
                .isInstanceOf(IOException.class).hasMessageContaining("ended after 1000 of the 2000 bytes");
        assertThatThrownBy(() -> d.store(Codec.of("long-small", "long-small"),
                Blob.of(TestData.generated(1, 3000), 2000, null)))
                .isInstanceOf(IOException.class).hasMessageContaining("more than the 2000 bytes");
        assertThat(S3.keys(bucket)).isEmpty();
        assertThat(S3.pendingUploads(bucket)).isEmpty();
    }

    @Test
    void anInterruptedStoreAbortsItsUploadAndSaysItWasInterrupted() throws Exception {
        String bucket = S3.createBucket();
        Destination d = destination(bucket, "partSize", "5MiB", "multipartThreshold", "5MiB");
        InputStream interrupting = new java.io.FilterInputStream(TestData.generated(2, 20L * TestData.MIB)) {
            private long read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (read > 6L * TestData.MIB) {
                    Thread.currentThread().interrupt(); // a shutdown past its grace period
                }
                int n = super.read(b, off, len);
                read += Math.max(n, 0);
                return n;
            }
        };
        try {
            assertThatThrownBy(() -> d.store(Codec.of("i.bin", "i.bin"), Blob.of(interrupting, 20L * TestData.MIB, null)))
                    .isInstanceOf(InterruptedIOException.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(S3.keys(bucket)).isEmpty();
        assertThat(S3.pendingUploads(bucket)).isEmpty();
    }

    @Test
    void aCallOnAnInterruptedThreadFailsAsInterruptedAndKeepsTheInterruptStatus() throws Exception {
        String bucket = S3.createBucket();
        Destination d = destination(bucket);
        Source s = source(bucket);
        Thread.currentThread().interrupt(); // the SDK clears it when it aborts the call
        try {
            assertThatThrownBy(() -> d.stat(Codec.of("x", "x"))).isInstanceOf(InterruptedIOException.class);
            assertThat(Thread.interrupted()).isTrue();
            Thread.currentThread().interrupt();
            assertThatThrownBy(() -> s.download(Codec.of("x", "x"))).isInstanceOf(InterruptedIOException.class);
            assertThat(Thread.interrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(d.stat(Codec.of("x", "x"))).as("usable afterwards").isEmpty();
    }

    @Test
    void aKeyLongerThanS3AllowsIsPoison() throws Exception {
        Destination d = destination(S3.createBucket(), "prefix", "out/");
        Codec codec = Codec.of("x", "n".repeat(1021));
        assertThatThrownBy(() -> d.stat(codec)).isInstanceOf(PoisonException.class)
                .hasMessageContaining("1025 bytes long");
        assertThatThrownBy(() -> d.store(codec, Blob.of(InputStream.nullInputStream(), 0, null)))
                .isInstanceOf(PoisonException.class);
    }

    @Test
    void concurrentStoresAndDownloadsAreSafe() throws Exception {
        String bucket = S3.createBucket();
        Destination d = destination(bucket, "partSize", "5MiB", "multipartThreshold", "1MiB");
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            List<Future<?>> stores = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                int n = i;
                stores.add(pool.submit(() -> {
                    long size = n % 3 == 0 ? 6L * TestData.MIB : 1000L * n;
                    return d.store(Codec.of("c" + n, "c/" + n), Blob.of(TestData.generated(n, size), size, null));
                }));
            }
            for (Future<?> f : stores) {
                f.get();
            }
            Source source = source(bucket, "prefix", "c/");
            List<Codec> codecs = scan(source);
            assertThat(codecs).hasSize(24);
            List<Future<String>> hashes = new ArrayList<>();
            for (Codec c : codecs) {
                hashes.add(pool.submit(() -> {
                    try (Blob blob = source.download(c)) {
                        return TestData.sha256(blob.stream());
                    }
                }));
            }
            for (int i = 0; i < codecs.size(); i++) {
                int n = Integer.parseInt(codecs.get(i).name());
                long size = n % 3 == 0 ? 6L * TestData.MIB : 1000L * n;
                assertThat(hashes.get(i).get()).as(codecs.get(i).name()).isEqualTo(TestData.sha256(TestData.generated(n, size)));
            }
        } finally {
            pool.shutdown();
        }
        assertThat(S3.pendingUploads(bucket)).isEmpty();
    }

    // ---- metafilesPrefix ----

    @Test
    void withMetafilesPrefixAMarkerIsWrittenAfterTheObjectAndTrusted() throws Exception {
        String bucket = S3.createBucket();
        Destination d = destination(bucket, "prefix", "data", "metafilesPrefix", "meta");
        Codec codec = Codec.of("src/a/b.txt", "a/b.txt", "", 3);
        assertThat(d.stat(codec)).isEmpty();
        URI uri = d.store(codec, Blob.of(new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, null));
        assertThat(S3.keys(bucket)).containsExactlyInAnyOrder("data/a/b.txt", "meta/a/b.txt.done");
        assertThat(head(bucket, "meta/a/b.txt.done").contentLength()).isZero();
        assertThat(d.stat(codec)).contains(uri);
        // As in the original: the marker is what counts.
        S3.client().deleteObject(b -> b.bucket(bucket).key("data/a/b.txt"));
        assertThat(d.stat(codec)).contains(uri);
    }

    @Test
    void withMetafilesPrefixAnObjectWithoutItsMarkerGetsOneAndCountsAsPresent() throws Exception {
        String bucket = S3.createBucket();
        S3.put(bucket, "data/old.txt", "12345");
        Destination d = destination(bucket, "prefix", "data/", "metafilesPrefix", "meta/");
        assertThat(d.stat(Codec.of("old.txt", "old.txt", "", 5))).contains(URI.create("s3://" + bucket + "/data/old.txt"));
        assertThat(S3.keys(bucket)).containsExactlyInAnyOrder("data/old.txt", "meta/old.txt.done");
        assertThat(d.stat(Codec.of("new.txt", "new.txt", "", 5))).isEmpty();
        assertThat(S3.keys(bucket)).doesNotContain("meta/new.txt.done");
    }

    // ---- creation ----

    @Test
    void aMissingBucketIsAConfigProblemNamingBucketAndEndpoint() {
        for (PluginRole role : PluginRole.values()) {
            PluginConfig config = PluginConfig.of("x", config("no-such-bucket"));
            assertThatThrownBy(() -> S3PluginProvider.connect(config, role))
                    .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                            "bucket: bucket 'no-such-bucket' does not exist at " + S3.endpoint()));
        }
    }

    @Test
    void refusedCredentialsAreAConfigProblemNamingBucketAndEndpoint() {
        String bucket = S3.createBucket();
        Map<String, Object> values = config(bucket, "secretAccessKey", "wrong-secret");
        assertThatThrownBy(() -> provider.createSource(PluginConfig.of("x", values)))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString()
                        .startsWith("bucket: access to bucket '" + bucket + "' at " + S3.endpoint() + " was refused (HTTP 403")
                        .contains("check accessKeyID and secretAccessKey")
                        .doesNotContain("wrong-secret"));
    }

    @Test
    void anUnreachableEndpointIsAnIoExceptionNamingIt() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Map<String, Object> values = config("b", "endpoint", "127.0.0.1:" + port, "insecure", true);
        assertThatThrownBy(() -> provider.createDestination(PluginConfig.of("x", values)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot reach S3 endpoint http://127.0.0.1:" + port + " to check bucket 'b'");
    }
}
