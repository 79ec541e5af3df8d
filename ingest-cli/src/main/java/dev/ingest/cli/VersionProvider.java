package dev.ingest.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/**
 * Prints the version and the git commit recorded at build time ({@code version.properties}, filtered by Maven):
 *
 * <pre>
 * ingest 0.1.0
 * commit 0123456789ab
 * Java 17.0.15
 * </pre>
 *
 * The commit is {@code unknown} when the build had no git checkout.
 */
final class VersionProvider implements CommandLine.IVersionProvider {

    static final String UNKNOWN = "unknown";

    private static Properties properties() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall through to "unknown"
        }
        return p;
    }

    /** A value Maven did not filter (an IDE build) counts as unknown. */
    private static String value(String key) {
        String v = properties().getProperty(key, "").trim();
        return v.isEmpty() || v.contains("${") ? UNKNOWN : v;
    }

    /** @return the project version, e.g. {@code 0.1.0}, or {@code unknown} */
    static String version() {
        return value("version");
    }

    /** @return the abbreviated git commit the build was made from, or {@code unknown} */
    static String commit() {
        return value("commit");
    }

    @Override
    public String[] getVersion() {
        return new String[] {"ingest " + version(), "commit " + commit(), "Java " + System.getProperty("java.version")};
    }
}
