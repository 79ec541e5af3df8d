package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ingest.api.Blob;
import dev.ingest.api.Scan;
import dev.ingest.api.BlobOrigin;
import dev.ingest.api.Codec;
import dev.ingest.api.PluginConfig;
import dev.ingest.testkit.S3ServerExtension;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Server-side copy between buckets of one s3proxy: what is copied within S3 is never read through ingest, what
 * cannot be (another realm, {@code serverSideCopy: false}, a source S3 refuses to copy) is streamed instead.
 *
 * <p>Each test hands the destination what the engine hands it: the source's blob re-wrapped around a counting
 * stream, with the source's origin kept (as {@code Transfer} does).
 */
class S3ServerSideCopyIT {

    @RegisterExtension
    static final S3ServerExtension S3 = new S3ServerExtension();

    private final S3PluginProvider provider = new S3PluginProvider();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger destinationLogger = (Logger) LoggerFactory.getLogger(S3Destination.class);

    @BeforeEach
    void captureLogs() {
        logs.start();
        destinationLogger.addAppender(logs);
    }

    @AfterEach
    void closeAll() throws Exception {
        destinationLogger.detachAppender(logs);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private S3Source source(String bucket, Object... more) throws Exception {
        S3Source s = (S3Source) provider.createSource(PluginConfig.of("src", S3PluginIT.config(S3, bucket, more)));
        toClose.add(s);
        return s;
    }

    private S3Destination destination(String bucket, Object... more) throws Exception {
        S3Destination d = (S3Destination) provider.createDestination(PluginConfig.of("dst",
                S3PluginIT.config(S3, bucket, more)));
        toClose.add(d);
        return d;
    }

    private static Codec only(S3Source source) throws IOException {
        Scan scan = source.scan();
        Optional<Codec> codec = scan.next();
        assertThat(codec).isPresent();
        assertThat(scan.next()).isEmpty();
        return codec.get();
    }

    private static void putGenerated(String bucket, String key, long seed, long size, String contentType) {
        S3.client().putObject(b -> b.bucket(bucket).key(key).contentType(contentType),
                RequestBody.fromContentProvider(() -> TestData.generated(seed, size), size, contentType));
    }

    private static String storedSha(String bucket, String key) throws IOException {
        return TestData.sha256(S3.client().getObject(b -> b.bucket(bucket).key(key)));
    }

    private static HeadObjectResponse head(String bucket, String key) {
        return S3.client().headObject(b -> b.bucket(bucket).key(key));
    }

    /** Counts what is read through it and whether it was closed. */
    static final class Counting extends FilterInputStream {
        long read;
        boolean closed;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            read += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            read += Math.max(n, 0);
            return n;
        }

        @Override
        public void close() throws IOException {
            closed = true;
            super.close();
        }
    }

    /** The blob as the engine hands it over: another stream around the source's, the origin kept. */
    private static Blob asTheEngineHandsItOver(Blob downloaded, Counting counting) {
        Blob blob = Blob.of(counting, downloaded.length().orElseThrow(), downloaded.contentType());
        return downloaded.origin().map(blob::withOrigin).orElse(blob);
    }

    private List<ILoggingEvent> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    }

    @Test
    void anObjectOfTheSameRealmIsCopiedWithinS3AndItsDownloadClosedUnread() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        long size = 3L * TestData.MIB + 5;
        putGenerated(src, "in/data.bin", 11, size, "application/x-test");
        S3Source source = source(src, "prefix", "in/");
        S3Destination d = destination(dst, "prefix", "out/", "metafilesPrefix", "meta");
        Codec codec = only(source);

        Blob downloaded = source.download(codec);
        assertThat(downloaded.origin()).contains(new BlobOrigin(URI.create("s3://" + src + "/in/data.bin"),
                d.settings().realm()));
        Counting counting = new Counting(downloaded.stream());
        URI stored;
        try (Blob blob = asTheEngineHandsItOver(downloaded, counting)) {
            stored = d.store(codec, blob);
        }
        assertThat(d.serverSideCopies()).as("copied within S3").isEqualTo(1);
        assertThat(counting.read).as("bytes read from the source's stream").isZero();
        assertThat(counting.closed).as("the destination closed the blob").isTrue();

        assertThat(stored).isEqualTo(URI.create("s3://" + dst + "/out/data.bin"));
        assertThat(storedSha(dst, "out/data.bin")).isEqualTo(TestData.sha256(TestData.generated(11, size)));
        HeadObjectResponse head = head(dst, "out/data.bin");
        assertThat(head.contentLength()).isEqualTo(size);
        assertThat(head.contentType()).isEqualTo("application/x-test");
        assertThat(head.metadata()).containsEntry(S3Destination.VERSION_METADATA, codec.version());
        assertThat(S3.keys(dst)).containsExactlyInAnyOrder("out/data.bin", "meta/data.bin.done");
        assertThat(d.stat(codec)).contains(stored);
        assertThat(S3.keys(src)).as("the source is left alone").containsExactly("in/data.bin");
        assertThat(warnings()).isEmpty();

        // The source's connection pool is fine afterwards: the aborted download returned its connection.
        try (Blob again = source.download(codec)) {
            assertThat(TestData.sha256(again.stream())).isEqualTo(TestData.sha256(TestData.generated(11, size)));
        }
    }

    @Test
    void anObjectLargerThanCopyPartSizeIsCopiedInParallelPartsAndOddKeysSurviveTheOrigin() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        long size = 17L * TestData.MIB + 3;
        String key = "in/sp ace/ü+%25?#=&.bin";
        putGenerated(src, key, 12, size, "video/x-big");
        S3Source source = source(src, "prefix", "in/");
        S3Destination d = destination(dst, "copyPartSize", "5MiB", "uploadConcurrency", 3);
        Codec codec = only(source);
        Blob downloaded = source.download(codec);
        Counting counting = new Counting(downloaded.stream());
        try (Blob blob = asTheEngineHandsItOver(downloaded, counting)) {
            d.store(codec, blob);
        }
        assertThat(d.serverSideCopies()).isEqualTo(1);
        assertThat(counting.read).isZero();
        String stored = "sp ace/ü+%25?#=&.bin";
        assertThat(storedSha(dst, stored)).isEqualTo(TestData.sha256(TestData.generated(12, size)));
        HeadObjectResponse head = head(dst, stored);
        assertThat(head.eTag()).as("a multipart copy of 5 MiB parts").endsWith("-4\"");
        assertThat(head.contentType()).isEqualTo("video/x-big");
        assertThat(head.metadata()).containsEntry(S3Destination.VERSION_METADATA, codec.version());
        assertThat(S3.pendingUploads(dst)).isEmpty();
    }

    @Test
    void withServerSideCopyFalseTheObjectIsStreamed() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        long size = 2L * TestData.MIB;
        putGenerated(src, "a.bin", 13, size, "application/x-a");
        S3Source source = source(src);
        S3Destination d = destination(dst, "serverSideCopy", false);
        Codec codec = only(source);
        Blob downloaded = source.download(codec);
        Counting counting = new Counting(downloaded.stream());
        try (Blob blob = asTheEngineHandsItOver(downloaded, counting)) {
            d.store(codec, blob);
        }
        assertThat(d.serverSideCopies()).isZero();
        assertThat(counting.read).as("streamed through ingest").isEqualTo(size);
        assertThat(storedSha(dst, "a.bin")).isEqualTo(TestData.sha256(TestData.generated(13, size)));
        assertThat(head(dst, "a.bin").contentType()).isEqualTo("application/x-a");
    }

    @Test
    void anObjectOfAnotherRealmOrWithoutOriginIsStreamed() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        long size = 1000;
        putGenerated(src, "x.bin", 14, size, "application/octet-stream");
        // The same server under another name: another endpoint, so another realm (as other credentials would be).
        S3Source elsewhere = source(src, "endpoint", "http://localhost:" + S3.port());
        S3Source eu = source(src, "region", "eu-west-1");
        S3Destination d = destination(dst);
        for (S3Source source : List.of(elsewhere, eu)) {
            Codec codec = only(source);
            Blob downloaded = source.download(codec);
            assertThat(downloaded.origin()).isPresent();
            assertThat(downloaded.origin().get().realm()).isNotEqualTo(d.settings().realm());
            Counting counting = new Counting(downloaded.stream());
            try (Blob blob = asTheEngineHandsItOver(downloaded, counting)) {
                d.store(codec, blob);
            }
            assertThat(counting.read).isEqualTo(size);
        }
        Counting counting = new Counting(TestData.generated(14, size));
        try (Blob blob = Blob.of(counting, size, null)) {
            d.store(Codec.of("x.bin", "plain.bin"), blob);
        }
        assertThat(counting.read).isEqualTo(size);
        Counting foreign = new Counting(TestData.generated(14, size));
        try (Blob blob = Blob.of(foreign, size, null).withOrigin(new BlobOrigin(URI.create("s3://" + src + "/x.bin"),
                "s3:somebody-else"))) {
            d.store(Codec.of("x.bin", "foreign.bin"), blob);
        }
        assertThat(foreign.read).isEqualTo(size);
        assertThat(d.serverSideCopies()).isZero();
        assertThat(d.copyFallbacks()).as("not even tried").isZero();
        assertThat(storedSha(dst, "x.bin")).isEqualTo(storedSha(dst, "foreign.bin"))
                .isEqualTo(TestData.sha256(TestData.generated(14, size)));
    }

    @Test
    void aCopySourceThatIsGoneIsStreamedInsteadWithOneWarning() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        S3Destination d = destination(dst, "copyPartSize", "5MiB", "metafilesPrefix", "meta");
        String realm = d.settings().realm();
        long[] sizes = {1234, 12L * TestData.MIB + 1}; // CopyObject, then UploadPartCopy
        for (int i = 0; i < sizes.length; i++) {
            long size = sizes[i];
            Counting counting = new Counting(TestData.generated(20 + i, size));
            Blob blob = Blob.of(counting, size, "text/x-fallback")
                    .withOrigin(new BlobOrigin(URI.create("s3://" + src + "/never-existed-" + i), realm));
            Codec codec = Codec.of("never-existed-" + i, "gone-" + i, "abc", size);
            try (blob) {
                d.store(codec, blob);
            }
            assertThat(counting.read).as("streamed after the copy failed").isEqualTo(size);
            assertThat(storedSha(dst, "gone-" + i)).isEqualTo(TestData.sha256(TestData.generated(20 + i, size)));
            assertThat(head(dst, "gone-" + i).contentType()).isEqualTo("text/x-fallback");
        }
        assertThat(d.copyFallbacks()).isEqualTo(2);
        assertThat(d.serverSideCopies()).isZero();
        assertThat(S3.pendingUploads(dst)).as("the multipart copy was aborted").isEmpty();
        assertThat(S3.keys(dst)).containsExactlyInAnyOrder("gone-0", "gone-1", "meta/gone-0.done", "meta/gone-1.done");
        assertThat(warnings()).as("one WARN, later fallbacks at DEBUG").singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).contains("cannot copy s3://" + src + "/never-existed-0")
                        .contains("HTTP 404").contains("streaming it instead").contains("serverSideCopy: false"));
    }

    @Test
    void anObjectThatChangedSinceItWasListedIsNotCopiedButTheDownloadedContentStreamed() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        S3.put(src, "v.txt", "version one");
        S3Source source = source(src);
        S3Destination d = destination(dst);
        Codec listed = only(source);
        S3.put(src, "v.txt", "version two"); // same size, another ETag
        Blob downloaded = source.download(listed);
        Counting counting = new Counting(downloaded.stream());
        try (Blob blob = asTheEngineHandsItOver(downloaded, counting)) {
            d.store(listed, blob);
        }
        assertThat(d.copyFallbacks()).as("the copy is conditional on the listed ETag: 412").isEqualTo(1);
        assertThat(counting.read).isEqualTo("version two".length());
        assertThat(S3.get(dst, "v.txt")).as("what the download served, as a streamed copy stores").isEqualTo("version two");
        assertThat(warnings()).singleElement().satisfies(e -> assertThat(e.getFormattedMessage()).contains("HTTP 412"));

        Codec relisted = only(source);
        try (Blob blob = source.download(relisted)) {
            d.store(relisted, blob);
        }
        assertThat(d.serverSideCopies()).as("the current version copies within S3").isEqualTo(1);
        assertThat(head(dst, "v.txt").metadata()).containsEntry(S3Destination.VERSION_METADATA, relisted.version());
    }

    @Test
    void anEmptyObjectIsCopiedToo() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        S3.client().putObject(b -> b.bucket(src).key("empty"), RequestBody.fromInputStream(
                new ByteArrayInputStream(new byte[0]), 0));
        S3Source source = source(src);
        S3Destination d = destination(dst);
        Codec codec = only(source);
        try (Blob blob = source.download(codec)) {
            d.store(codec, blob);
        }
        assertThat(d.serverSideCopies()).isEqualTo(1);
        assertThat(head(dst, "empty").contentLength()).isZero();
    }
}
