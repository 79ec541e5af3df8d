package com.example.ingest.compress;

import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.testkit.contract.DestinationContract;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.junit.jupiter.api.io.TempDir;

/** The bzip2 destination against the destination contract. */
class CompressBzip2DestinationContractTest extends DestinationContract {

    @TempDir
    Path dir;

    @Override
    protected Destination createDestination() throws Exception {
        return new CompressPluginProvider().createDestination(PluginConfig.of("contract",
                Map.of("path", dir.toString(), "format", "bzip2", "level", 1)));
    }

    @Override
    protected Optional<InputStream> readStored(String name) throws IOException {
        Path file = dir.resolve(name + ".bz2");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(new BZip2CompressorInputStream(new BufferedInputStream(Files.newInputStream(file)), true));
    }

    /**
     * bzip2 in pure Java compresses at a few MiB/s, so the large object is 4 MiB here (the gzip suite streams
     * the full 64 MiB through the same store code). Level 1 keeps bzip2's own block
     * buffers near 1 MiB, well under the allowance, while a destination that buffered the object would hold
     * at least 4 MiB.
     */
    @Override
    protected long largeObjectSize() {
        return 4L * 1024 * 1024;
    }

    @Override
    protected long largeObjectHeapAllowance() {
        return 3L * 1024 * 1024;
    }

    /** bzip2 records no original size, so an existing .bz2 file counts as present whatever the codec's size. */
    @Override
    protected boolean supportsSizeCheck() {
        return false;
    }
}
