package dev.ingest.cli;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A destination for engine tests (type {@code flaky}): stores files under {@code path} like the file plugin,
 * but its first {@code failures} stores of each object fail with a retryable error, each store first waits
 * {@code storeMillis} (a slow destination), and it counts stores.
 */
public final class EngineTestPlugin implements PluginProvider {

    /** Stores attempted, by destination name and object name. */
    static final Map<String, AtomicInteger> STORES = new ConcurrentHashMap<>();

    static int stores(String destination, String object) {
        AtomicInteger n = STORES.get(destination + "/" + object);
        return n == null ? 0 : n.get();
    }

    @Override
    public String type() {
        return "flaky";
    }

    @Override
    public Set<PluginRole> roles() {
        return Set.of(PluginRole.DESTINATION);
    }

    @Override
    public List<ConfigKey> keys(PluginRole role) {
        return List.of(ConfigKey.required("path", "directory"),
                ConfigKey.optional("failures", "failed stores per object before one succeeds"),
                ConfigKey.optional("storeMillis", "how long each store takes before it writes"));
    }

    @Override
    public Destination createDestination(PluginConfig config) throws ConfigException {
        Path root = Paths.get(config.string("path"));
        long failures = config.number("failures", 0, 0);
        long storeMillis = config.number("storeMillis", 0, 0);
        config.validate();
        String name = config.name();
        return new Destination() {
            @Override
            public Optional<URI> stat(Codec codec) {
                Path p = root.resolve(codec.name());
                return Files.exists(p) ? Optional.of(p.toUri()) : Optional.empty();
            }

            @Override
            public URI store(Codec codec, Blob blob) throws IOException {
                int attempt = STORES.computeIfAbsent(name + "/" + codec.name(), k -> new AtomicInteger()).incrementAndGet();
                if (storeMillis > 0) {
                    try {
                        Thread.sleep(storeMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while storing " + codec.name());
                    }
                }
                if (attempt <= failures) {
                    throw new IOException("injected failure " + attempt + " of " + failures + " for " + codec.name());
                }
                Path p = root.resolve(codec.name());
                Files.createDirectories(p.getParent());
                Path tmp = Files.createTempFile(p.getParent(), ".flaky", ".tmp");
                try (InputStream in = blob.stream()) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return p.toUri();
            }
        };
    }
}
