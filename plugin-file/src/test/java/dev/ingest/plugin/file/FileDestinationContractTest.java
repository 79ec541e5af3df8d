package dev.ingest.plugin.file;

import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.testkit.contract.DestinationContract;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/** The file destination against the destination contract of ingest-testkit. */
class FileDestinationContractTest extends DestinationContract {

    @TempDir
    Path dir;

    @Override
    protected Destination createDestination() throws Exception {
        return new FilePluginProvider().createDestination(PluginConfig.of("contract", Map.of("path", dir.toString())));
    }

    /** The source's version is kept in the extended attribute user.ingest.version of each file. */
    @Override
    protected boolean supportsVersionRecords() {
        return true;
    }

    @Override
    protected Optional<InputStream> readStored(String name) throws IOException {
        Path file = dir.resolve(name);
        return Files.isRegularFile(file) ? Optional.of(Files.newInputStream(file)) : Optional.empty();
    }
}
