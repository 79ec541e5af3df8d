package dev.ingest.plugin.file;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.Scan;
import dev.ingest.api.Source;
import java.util.Map;
import java.util.Optional;

/**
 * Copies a tree with the file source and destination, as the engine would, deleting each source file after it is
 * stored, and prints the JVM's file name encoding and each object's name. Run in a JVM of its own, by
 * {@link FileNamesUnderAnAsciiLocaleIT}, so that it gets the locale of its environment.
 */
public final class CopyTreeMain {

    private CopyTreeMain() {
    }

    /** @param args the source and the destination directory */
    public static void main(String[] args) throws Exception {
        System.out.println("sun.jnu.encoding=" + System.getProperty("sun.jnu.encoding"));
        FilePluginProvider provider = new FilePluginProvider();
        try (Source source = provider.createSource(PluginConfig.of("src", Map.of("path", args[0])));
             Destination destination = provider.createDestination(PluginConfig.of("dst", Map.of("path", args[1])));
             Scan scan = source.scan()) {
            for (Optional<Codec> next = scan.next(); next.isPresent(); next = scan.next()) {
                Codec codec = next.get();
                if (destination.check(codec).isEmpty()) {
                    try (Blob blob = source.download(codec)) {
                        destination.store(codec, blob);
                    }
                }
                if (destination.check(codec).isEmpty()) {
                    throw new AssertionError("not found after the copy: " + codec);
                }
                source.cleanUp(codec);
                System.out.println("copied " + escape(codec.name()));
            }
        }
    }

    /** Non-ASCII characters as \\uXXXX, so that the output survives an ASCII locale. */
    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c < 0x80 ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return sb.toString();
    }
}
