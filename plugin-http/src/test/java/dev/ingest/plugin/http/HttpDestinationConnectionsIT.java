package dev.ingest.plugin.http;

import static dev.ingest.plugin.http.Configs.config;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The http destination against real Python {@code http.server} receivers that treat connections as real servers
 * do: HTTP/1.0 (closing after every response without saying so), HTTP/1.1 keeping connections, HTTP/1.1 closing after
 * every response with and without {@code Connection: close}, and HTTP/1.1 with a short keep-alive timeout. Every
 * object must arrive, whatever the server does with its connections.
 */
class HttpDestinationConnectionsIT {

    private static final int OBJECTS = 120;

    @TempDir
    Path work;

    @ParameterizedTest(name = "receiver {0}")
    @ValueSource(strings = {
            "--protocol HTTP/1.0",
            "--protocol HTTP/1.1",
            "--protocol HTTP/1.1 --close",
            "--protocol HTTP/1.1 --announce-close",
            "--protocol HTTP/1.1 --idle-timeout 0.05"})
    void storesEveryObjectWhateverTheServerDoesWithItsConnections(String options) throws Exception {
        try (PythonReceiver receiver = PythonReceiver.start(work, options.split(" "));
             Destination d = new HttpPluginProvider().createDestination(config("python", "url", receiver.urlTemplate()))) {
            Map<String, byte[]> sent = new ConcurrentHashMap<>();
            List<String> failures = new ArrayList<>();
            ExecutorService copies = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < OBJECTS; i++) {
                    int n = i;
                    done.add(copies.submit(() -> {
                        byte[] content = new byte[new Random(n).nextInt(40_000)];
                        new Random(n + 1000).nextBytes(content);
                        String name = "dossier " + (n % 3) + "/objet " + n + ".bin";
                        Codec codec = Codec.of(name, name, "v" + n, content.length);
                        // As the dequeuer does: check first, then store; every tenth waits past the idle timeout.
                        if (n % 10 == 9) {
                            Thread.sleep(120);
                        }
                        assertThat(d.check(codec)).as("check of %s", name).isEmpty();
                        Blob blob = n % 3 == 0 ? Blob.ofUnknownLength(new ByteArrayInputStream(content), null)
                                : Blob.of(new ByteArrayInputStream(content), content.length, null);
                        try {
                            d.store(codec, blob);
                            sent.put(name, content);
                        } catch (Exception e) {
                            synchronized (failures) {
                                failures.add(name + ": " + e);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                copies.shutdownNow();
            }

            assertThat(failures).as("stores that failed").isEmpty();
            Map<String, Integer> stored = new TreeMap<>();
            Map<String, Integer> expected = new TreeMap<>();
            for (Map.Entry<String, byte[]> e : sent.entrySet()) {
                expected.put(e.getKey(), Arrays.hashCode(e.getValue()));
                Path file = receiver.dir().resolve(e.getKey());
                stored.put(e.getKey(), Files.exists(file) ? Arrays.hashCode(Files.readAllBytes(file)) : null);
            }
            assertThat(stored).hasSize(OBJECTS).isEqualTo(expected);
        }
    }
}
