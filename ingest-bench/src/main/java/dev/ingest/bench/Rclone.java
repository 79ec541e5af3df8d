package dev.ingest.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs rclone against the benchmark's S3 server, configured only through environment variables: two remotes on
 * the same server, {@code benchsrc} and {@code benchdst}. A copy between the two remotes streams every object
 * through rclone (it copies server-side only within one remote); {@link #copy} with {@code serverSide} copies
 * within {@code benchsrc}, where rclone uses S3's CopyObject.
 */
final class Rclone {

    static final String SRC = "benchsrc";
    static final String DST = "benchdst";

    private final Path binary;
    private final Map<String, String> env = new HashMap<>();
    private final Path workDir;
    private int runs;

    private Rclone(Path binary, URI endpoint, Path caCertPem, Path workDir) throws IOException {
        this.binary = binary;
        this.workDir = workDir;
        Path emptyConfig = workDir.resolve("rclone.conf");
        Files.writeString(emptyConfig, "");
        env.put("RCLONE_CONFIG", emptyConfig.toString());
        // rclone 1.60's AWS SDK refuses a custom CA bundle with rclone's own HTTP transport ("LoadCustomCABundleError:
        // unsupported transport"); the server is plain http on loopback, so no CA bundle is needed.
        env.put("AWS_CA_BUNDLE", null);
        if (caCertPem != null) {
            env.put("RCLONE_CA_CERT", caCertPem.toString()); // the https server's self-signed certificate
        }
        for (String remote : List.of(SRC, DST)) {
            String p = "RCLONE_CONFIG_" + remote.toUpperCase(java.util.Locale.ROOT) + "_";
            env.put(p + "TYPE", "s3");
            env.put(p + "PROVIDER", "Other");
            env.put(p + "ENDPOINT", endpoint.toString());
            env.put(p + "ACCESS_KEY_ID", S3Server.ACCESS_KEY);
            env.put(p + "SECRET_ACCESS_KEY", S3Server.SECRET_KEY);
            env.put(p + "REGION", S3Server.REGION);
            env.put(p + "FORCE_PATH_STYLE", "true");
            env.put(p + "NO_CHECK_BUCKET", "true"); // the buckets exist: no CreateBucket per copy
        }
    }

    /**
     * @param endpoint the S3 server
     * @param caCertPem its certificate when it speaks https, else null
     * @param workDir where logs go
     * @return rclone when it is on PATH
     */
    static Optional<Rclone> find(URI endpoint, Path caCertPem, Path workDir) throws IOException {
        Optional<Path> binary = onPath("rclone");
        if (binary.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Rclone(binary.get(), endpoint, caCertPem, workDir));
    }

    static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Paths.get(dir, name))) {
                return Optional.of(Paths.get(dir, name));
            }
        }
        return Optional.empty();
    }

    /** @return the first line of {@code rclone version} */
    String version() {
        try {
            Process p = new ProcessBuilder(binary.toString(), "version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(30, TimeUnit.SECONDS);
            return out.lines().findFirst().orElse("?").trim();
        } catch (IOException e) {
            return "? (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    /**
     * {@code rclone copy}.
     *
     * @param label names the log files
     * @param sourceBucket from
     * @param destBucket to
     * @param transfers {@code --transfers}
     * @param serverSide copy within one remote (rclone then uses CopyObject) rather than between two
     * @return what happened
     */
    Measured.Result copy(String label, String sourceBucket, String destBucket, int transfers, boolean serverSide)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "copy", SRC + ":" + sourceBucket,
                (serverSide ? SRC : DST) + ":" + destBucket, "--transfers", Integer.toString(transfers), "-q"));
        return Measured.run(cmd, env, workDir.resolve(label + "." + (++runs)), Duration.ofMinutes(30));
    }

    /**
     * {@code rclone lsf -R} of a bucket: lists every object (output in the log file).
     *
     * @param label names the log files
     * @param bucket the bucket
     * @return what happened
     */
    Measured.Result lsf(String label, String bucket) throws IOException, InterruptedException {
        return Measured.run(List.of(binary.toString(), "lsf", "-R", "--files-only", SRC + ":" + bucket), env,
                workDir.resolve(label + "." + (++runs)), Duration.ofMinutes(30));
    }
}
