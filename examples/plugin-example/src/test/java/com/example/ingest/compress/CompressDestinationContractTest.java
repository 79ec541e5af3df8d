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
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gzip destination against the destination contract. What it stored is read back with the JDK's own gzip
 * decoder, so the files are checked to be standard gzip, not just readable by the library that wrote them.
 */
class CompressDestinationContractTest extends DestinationContract {

    @TempDir
    Path dir;

    @Override
    protected Destination createDestination() throws Exception {
        return new CompressPluginProvider().createDestination(PluginConfig.of("contract",
                Map.of("path", dir.toString(), "level", 1)));
    }

    @Override
    protected Optional<InputStream> readStored(String name) throws IOException {
        Path file = dir.resolve(name + ".gz");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(new GZIPInputStream(new BufferedInputStream(Files.newInputStream(file)), 64 * 1024));
    }
}
