package dev.ingest.plugin.http;

import static dev.ingest.plugin.http.Configs.config;

import dev.ingest.api.Source;
import dev.ingest.testkit.contract.SourceContract;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The testkit's source contract, against an http source over {@link ObjectStoreServer}: a paginated JSON
 * listing ({@code items}, {@code next}) whose items carry an id, a name, a relative URL, a SHA-256 version and a
 * size, downloaded with {@code GET} and cleaned up with {@code DELETE {url}}. Every test gets its own server
 * and store. No opt-outs: the plugin meets the whole contract.
 */
class HttpSourceContractIT extends SourceContract {

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
    protected Source createSource() throws Exception {
        return new HttpPluginProvider().createSource(config("contract",
                "url", server.listUrl(),
                "items", "/items",
                "idField", "id",
                "nameField", "name",
                "urlField", "url",
                "versionField", "etag",
                "sizeField", "size",
                "nextField", "/next",
                "cleanUp", "DELETE {url}"));
    }

    @Override
    protected void putObject(String name, InputStream content, long length) throws IOException {
        server.put(name, content, length);
    }

    @Override
    protected void deleteObject(String name) throws IOException {
        server.delete(name);
    }

    @Override
    protected boolean objectExists(String name) {
        return server.exists(name);
    }

    /** Several pages of {@link ObjectStoreServer#PAGE_SIZE}, the last one partly filled. */
    @Override
    protected int listingSize() {
        return 3 * ObjectStoreServer.PAGE_SIZE + 5;
    }
}
