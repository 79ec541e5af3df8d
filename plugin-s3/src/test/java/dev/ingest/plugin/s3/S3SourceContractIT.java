package dev.ingest.plugin.s3;

import dev.ingest.api.PluginConfig;
import dev.ingest.api.Source;
import dev.ingest.testkit.S3ServerExtension;
import dev.ingest.testkit.contract.SourceContract;
import java.io.InputStream;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/** The testkit's source contract, against an S3 source over a bucket prefix on s3proxy. */
class S3SourceContractIT extends SourceContract {

    @RegisterExtension
    static final S3ServerExtension S3 = new S3ServerExtension();

    private static final String PREFIX = "contract/";

    private final String bucket = S3.createBucket();

    @Override
    protected Source createSource() throws Exception {
        return new S3PluginProvider().createSource(PluginConfig.of("contract",
                S3PluginIT.config(S3, bucket, "prefix", PREFIX)));
    }

    @Override
    protected void putObject(String name, InputStream content, long length) {
        S3.client().putObject(b -> b.bucket(bucket).key(PREFIX + name), RequestBody.fromInputStream(content, length));
    }

    @Override
    protected void deleteObject(String name) {
        S3.client().deleteObject(b -> b.bucket(bucket).key(PREFIX + name));
    }

    @Override
    protected boolean objectExists(String name) {
        try {
            S3.client().headObject(b -> b.bucket(bucket).key(PREFIX + name));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        }
    }

    /** Crosses S3's page of 1000 keys. */
    @Override
    protected int listingSize() {
        return 1001;
    }
}
