package dev.ingest.plugin.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Python {@code http.server} upload receiver ({@code receiver.py}, copied next to its store) run as a child
 * process: {@code PUT}/{@code POST} {@code /up/{name}} store files under {@link #dir()}, {@code HEAD} and
 * {@code GET} answer from them. Its options choose how it treats connections (see the script).
 */
final class PythonReceiver implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path dir;
    private final Path log;

    private PythonReceiver(Process process, int port, Path dir, Path log) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.log = log;
    }

    /**
     * Starts a receiver and waits until it listens.
     *
     * @param work a directory of the test's own: the script, its log and the store go there
     * @param options the script's options, e.g. {@code --protocol HTTP/1.1 --close}
     * @return the running receiver
     * @throws IOException if it cannot be started
     */
    static PythonReceiver start(Path work, String... options) throws IOException {
        Path script = work.resolve("receiver.py");
        try (InputStream in = PythonReceiver.class.getResourceAsStream("receiver.py")) {
            if (in == null) {
                throw new IOException("receiver.py is not on the test class path");
            }
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Path dir = Files.createDirectories(work.resolve("received"));
        Path log = work.resolve("receiver.log");
        List<String> command = new ArrayList<>(List.of("python3", "-u", script.toString(), "--dir", dir.toString()));
        command.addAll(List.of(options));
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("listening on ")) {
            process.destroyForcibly();
            throw new IOException("python3 receiver.py did not start: " + line + "\n" + Files.readString(log));
        }
        return new PythonReceiver(process, Integer.parseInt(line.substring("listening on ".length()).trim()), dir, log);
    }

    /** @return the destination URL template, {@code http://127.0.0.1:PORT/up/{name}} */
    String urlTemplate() {
        return "http://127.0.0.1:" + port + "/up/{name}";
    }

    /** @return where the receiver stores objects, one file per name */
    Path dir() {
        return dir;
    }

    /**
     * @return what the receiver logged (one line per request)
     * @throws IOException if the log cannot be read
     */
    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
