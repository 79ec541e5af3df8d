package dev.ingest.core.testplugin;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Source;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A test-only plugin of type {@code dir}, registered on ingest-core's test class path, so that core's tests
 * exercise plugin loading and configuration without depending on a real plugin module (which would make a
 * reactor cycle: plugins test with ingest-testkit, which depends on ingest-core).
 *
 * <p>Deliberately minimal: as a source it lists the regular files directly in {@code path} (optionally filtered
 * by {@code include} globs on the file name) and downloads them; as a destination it stores into {@code path}
 * (created when missing) and reports a file as present when it exists. Names must be plain file names.
 *
 * <p>A source with {@code gate: NAME} holds every download at its first read until the test opens the
 * {@link Gate#named(String) gate of that name}, so that a test knows a copy is in flight and stays so.
 */
public final class DirPluginProvider implements PluginProvider {

    /** The type name used in configuration. */
    public static final String TYPE = "dir";

    private static final List<ConfigKey> SOURCE_KEYS = List.of(
            ConfigKey.required("path", "directory whose files are listed"),
            ConfigKey.optional("include", "globs of file names to list; default all"),
            ConfigKey.optional("gate", "name of a Gate that holds every download at its first read until opened"));

    private static final List<ConfigKey> DESTINATION_KEYS = List.of(
            ConfigKey.required("path", "directory to store files in; created if missing"));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Set<PluginRole> roles() {
        return Set.of(PluginRole.SOURCE, PluginRole.DESTINATION);
    }

    @Override
    public List<ConfigKey> keys(PluginRole role) {
        return role == PluginRole.SOURCE ? SOURCE_KEYS : DESTINATION_KEYS;
    }

    @Override
    public Source createSource(PluginConfig config) throws ConfigException {
        String path = config.string("path");
        List<PathMatcher> include = new ArrayList<>();
        for (String glob : config.stringList("include")) {
            include.add(FileSystems.getDefault().getPathMatcher("glob:" + glob));
        }
        Path dir = path.isEmpty() ? null : Path.of(path).toAbsolutePath();
        if (dir != null && !Files.isDirectory(dir)) {
            config.problem("path", "directory '" + dir + "' does not exist");
        }
        Gate gate = config.optionalString("gate").map(Gate::named).orElse(null);
        config.validate();
        return new DirSource(dir, include, gate);
    }

    /**
     * Holds downloads of sources configured with its name at their first read, until {@link #open()}. A download
     * held there that is interrupted fails with an {@link InterruptedIOException}, the thread's interrupt status
     * kept, as a download blocked on a socket would fail once its connection is closed.
     */
    public static final class Gate {
        private static final Map<String, Gate> GATES = new ConcurrentHashMap<>();

        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch open = new CountDownLatch(1);
        private final AtomicInteger waiting = new AtomicInteger();

        private Gate() {
        }

        /**
         * @param name the name configured as {@code gate}
         * @return the gate of that name, created closed on first use
         */
        public static Gate named(String name) {
            return GATES.computeIfAbsent(name, n -> new Gate());
        }

        /**
         * @param timeout how long to wait
         * @return whether a download reached the gate within the timeout
         */
        public boolean awaitReached(Duration timeout) throws InterruptedException {
            return reached.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** @return how many downloads are held at the gate now */
        public int waiting() {
            return waiting.get();
        }

        /** Lets every held and later download through. */
        public void open() {
            open.countDown();
        }

        InputStream guard(InputStream in) {
            return new FilterInputStream(in) {
                private boolean passed;

                private void pass() throws IOException {
                    if (passed) {
                        return;
                    }
                    passed = true;
                    waiting.incrementAndGet();
                    reached.countDown();
                    try {
                        open.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while held at the gate");
                    } finally {
                        waiting.decrementAndGet();
                    }
                }

                @Override
                public int read() throws IOException {
                    pass();
                    return super.read();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    pass();
                    return super.read(b, off, len);
                }
            };
        }
    }

    @Override
    public Destination createDestination(PluginConfig config) throws ConfigException {
        String path = config.string("path");
        Path dir = path.isEmpty() ? null : Path.of(path).toAbsolutePath();
        if (dir != null) {
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                config.problem("path", "'" + dir + "' is not a directory");
            } else {
                try {
                    Files.createDirectories(dir);
                } catch (IOException e) {
                    config.problem("path", "cannot create directory '" + dir + "': " + e);
                }
            }
        }
        config.validate();
        return new DirDestination(dir);
    }

    private static Path child(Path dir, String name) throws PoisonException {
        if (name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")) {
            throw new PoisonException("'" + name + "' is not a plain file name");
        }
        return dir.resolve(name);
    }

    private static final class DirSource implements Source {
        private final Path dir;
        private final List<PathMatcher> include;
        private final Gate gate;
        private List<String> scan = List.of();
        private int position;

        DirSource(Path dir, List<PathMatcher> include, Gate gate) {
            this.dir = dir;
            this.include = List.copyOf(include);
            this.gate = gate;
        }

        @Override
        public void reset() throws IOException {
            try (Stream<Path> files = Files.list(dir)) {
                scan = files.filter(Files::isRegularFile)
                        .map(p -> p.getFileName().toString())
                        .filter(n -> include.isEmpty() || include.stream().anyMatch(m -> m.matches(Path.of(n))))
                        .sorted()
                        .toList();
            }
            position = 0;
        }

        @Override
        public Optional<Codec> next() {
            if (position >= scan.size()) {
                return Optional.empty();
            }
            String name = scan.get(position++);
            return Optional.of(Codec.of(name, name));
        }

        @Override
        public Blob download(Codec codec) throws IOException {
            Path file = child(dir, codec.id());
            try {
                InputStream in = Files.newInputStream(file);
                return Blob.of(gate == null ? in : gate.guard(in), Files.size(file), null);
            } catch (NoSuchFileException e) {
                throw new PoisonException("'" + codec.id() + "' no longer exists", e);
            }
        }

        @Override
        public void cleanUp(Codec codec) throws IOException {
            Files.deleteIfExists(child(dir, codec.id()));
        }
    }

    private static final class DirDestination implements Destination {
        private final Path dir;

        DirDestination(Path dir) {
            this.dir = dir;
        }

        @Override
        public Optional<URI> stat(Codec codec) throws IOException {
            Path file = child(dir, codec.name());
            return Files.isRegularFile(file) ? Optional.of(file.toUri()) : Optional.empty();
        }

        @Override
        public URI store(Codec codec, Blob blob) throws IOException {
            Path file = child(dir, codec.name());
            Path temp = Files.createTempFile(dir, ".dir-", ".tmp");
            try {
                Files.copy(blob.stream(), temp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
            return file.toUri();
        }
    }
}
