package dev.ingest.plugin.s3;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.testkit.S3ServerExtension;
import dev.ingest.testkit.contract.ContractStreams;
import dev.ingest.testkit.contract.DestinationContract;
import java.io.InputStream;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The testkit's destination contract, against an S3 destination under a prefix on s3proxy, with 5 MiB parts so
 * that the 64 MiB object goes in parts. A copy may hold {@code uploadConcurrency + 1} part buffers (4 uploading,
 * 1 being read: 25 MiB), so the heap it may use is that plus the contract's usual 16 MiB of slack: still well
 * below the object's size, so buffering the object would fail.
 */
class S3DestinationContractIT extends DestinationContract {

    @RegisterExtension
    static final S3ServerExtension S3 = new S3ServerExtension();

    private static final String PREFIX = "stored/";
    private static final long PART = 5L * 1024 * 1024;

    private final String bucket = S3.createBucket();

    /**
     * One multipart store before the tests, so that what a JVM allocates once (the SDK's classes and caches, the
     * process-wide part-buffer pool) is in place before a large-object test measures the heap. Run alone, the
     * class otherwise measured that first-use growth too, and failed by about a megabyte.
     */
    @BeforeAll
    static void warmUp() throws Exception {
        try (Destination d = new S3PluginProvider().createDestination(PluginConfig.of("warm-up",
                S3PluginIT.config(S3, S3.createBucket(), "partSize", "5MiB", "multipartThreshold", "5MiB")))) {
            long size = 3 * PART;
            d.store(Codec.of("warm-up", "warm-up", "", size), Blob.of(ContractStreams.generated(size, 1), size, null));
        }
    }

    @Override
    protected Destination createDestination() throws Exception {
        return new S3PluginProvider().createDestination(PluginConfig.of("contract",
                S3PluginIT.config(S3, bucket, "prefix", PREFIX, "partSize", "5MiB", "multipartThreshold", "5MiB")));
    }

    @Override
    protected long largeObjectHeapAllowance() {
        return PART * (S3Settings.DEFAULT_UPLOAD_CONCURRENCY + 1) + super.largeObjectHeapAllowance();
    }

    @Override
    protected Optional<InputStream> readStored(String name) {
        try {
            return Optional.of(S3.client().getObject(b -> b.bucket(bucket).key(PREFIX + name)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }
}
