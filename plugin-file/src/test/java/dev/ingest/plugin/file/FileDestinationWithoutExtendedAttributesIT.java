package dev.ingest.plugin.file;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Inventory;
import dev.ingest.api.Listed;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.Presence;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The file destination on a real file system without user extended attributes: a ramfs, mounted for the test (which
 * needs root; without it the test is skipped, never passed).
 */
class FileDestinationWithoutExtendedAttributesIT {

    @TempDir
    Path base;

    Path mount;
    boolean mounted;
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    final Logger logger = (Logger) LoggerFactory.getLogger(FileDestination.class);

    @BeforeEach
    void mountRamfs() throws Exception {
        mount = Files.createDirectories(base.resolve("ramfs"));
        String output = run("mount", "-t", "ramfs", "ingest-test", mount.toString());
        mounted = output == null;
        Assumptions.assumeTrue(mounted, () -> "cannot mount a ramfs here (the test needs root): " + output);
        Assumptions.assumeFalse(Files.getFileStore(mount).supportsFileAttributeView(UserDefinedFileAttributeView.class),
                "this kernel's ramfs supports user extended attributes");
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void unmount() throws Exception {
        logger.detachAppender(logs);
        if (mounted) {
            String output = run("umount", mount.toString());
            assertThat(output).as("umount " + mount).isNull();
        }
    }

    /** @return null on success, else the command's output */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + output;
    }

    private static void store(Destination d, Codec codec, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        try (Blob blob = Blob.of(new ByteArrayInputStream(bytes), bytes.length, null)) {
            d.store(codec, blob);
        }
    }

    private List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel().toString().equals("WARN"))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void presenceIsJudgedBySizeUnverifiedAndTheMissingSupportIsLoggedOnce() throws Exception {
        Path out = mount.resolve("out");
        try (Destination d = new FilePluginProvider().createDestination(
                PluginConfig.of("ram", Map.of("path", out.toString())))) {
            assertThat(warnings()).as("said at start-up").hasSize(1);

            for (int i = 0; i < 5; i++) {
                store(d, Codec.of("f" + i, "dir/f" + i + ".txt", "1000-14", 14), "version-1 AAAA");
            }
            Codec v1 = Codec.of("f0", "dir/f0.txt", "1000-14", 14);
            Codec v2 = Codec.of("f0", "dir/f0.txt", "2000-14", 14);

            assertThat(out.resolve("dir/f0.txt")).hasContent("version-1 AAAA");
            assertThat(d.check(v1)).map(Presence::verified).contains(false);
            assertThat(d.check(v2)).as("same size, version unknown: present, unverified")
                    .map(Presence::verified).contains(false);
            assertThat(d.check(Codec.of("f0", "dir/f0.txt", "3000-15", 15))).isEmpty();
            List<Listed> listed = new ArrayList<>();
            try (Inventory inventory = d.inventory().orElseThrow()) {
                for (Optional<Listed> e = inventory.next(); e.isPresent(); e = inventory.next()) {
                    listed.add(e.get());
                }
            }
            assertThat(listed).hasSize(5).allSatisfy(e -> assertThat(e.version()).isEmpty());
            assertThat(d.holds(v2, listed.get(0))).isTrue();
        }
        List<String> warnings = warnings();
        assertThat(warnings).as("said once, not once per file").hasSize(1);
        assertThat(warnings.get(0)).contains("destination 'ram'").contains("does not support user extended attributes");
    }
}
