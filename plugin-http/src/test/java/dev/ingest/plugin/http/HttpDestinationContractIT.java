package dev.ingest.plugin.http;

import static dev.ingest.plugin.http.Configs.config;

import dev.ingest.api.Destination;
import dev.ingest.testkit.contract.DestinationContract;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The testkit's destination contract, against an http destination that {@code PUT}s to
 * {@code /objects/{name}} of {@link ObjectStoreServer} and checks for objects with {@code HEAD} (the defaults).
 * Every test gets its own server and store; {@link #readStored} reads the store behind the plugin's back. No
 * opt-outs: the plugin meets the whole contract.
 */
class HttpDestinationContractIT extends DestinationContract {

    @TempDir
    Path dir;

    private ObjectStoreServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = ObjectStoreServer.start(dir);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Override
    protected Destination createDestination() throws Exception {
        return new HttpPluginProvider().createDestination(config("contract", "url", server.objectUrlTemplate()));
    }

    @Override
    protected Optional<InputStream> readStored(String name) throws IOException {
        return server.open(name);
    }
}
