package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.hashTree;
import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.regularFiles;
import static dev.ingest.cli.LauncherSupport.stamps;
import static dev.ingest.cli.LauncherSupport.unique;
import static dev.ingest.cli.LauncherSupport.writeFileConfig;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The file plugin as users meet it through the real {@code bin/ingest}: rewritten files, names that are not valid
 * UTF-8, names like temporary files, an unusable destination directory, and many objects failing alike.
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class LauncherFilePluginIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private static Path write(Path file, String content, long mtimeMillis) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        return Files.setLastModifiedTime(file, FileTime.fromMillis(mtimeMillis));
    }

    private Result once(String name, Path config, Map<String, String> env) throws Exception {
        return launcher.run(dir, TIMEOUT, env, queueArgs(NATS.url(), name, config, "--mode=all", "--once"));
    }

    @Test
    void aSourceFileRewrittenWithTheSameSizeIsCopiedAgainOnTheNextRun() throws Exception {
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        write(src.resolve("a.txt"), "version-1 AAAA", 1_700_000_000_000L);
        String name = unique("rewritten");
        Path config = writeFileConfig(dir, name, src, dst);

        Result first = once(name, config, Map.of());
        assertThat(first.exitCode()).as(first.describe()).isZero();
        assertThat(first.counts()).as(first.describe()).containsEntry("copied", 1L);
        assertThat(dst.resolve("a.txt")).hasContent("version-1 AAAA");

        write(src.resolve("a.txt"), "version-2 BBBB", 1_700_000_060_000L);
        Result second = once(name, config, Map.of());

        assertThat(second.exitCode()).as(second.describe()).isZero();
        assertThat(second.counts()).as(second.describe())
                .containsEntry("copied", 1L).containsEntry("skipped", 0L).containsEntry("failed", 0L);
        assertThat(dst.resolve("a.txt")).hasContent("version-2 BBBB");
    }

    @Test
    void withCleanUpACopyProvenCurrentIsNotCopiedAgainAndARewrittenFileIsCopiedBeforeItsSourceIsDeleted()
            throws Exception {
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        write(src.resolve("a.txt"), "version-1 AAAA", 1_700_000_000_000L);
        write(src.resolve("sub/b.txt"), "unchanged", 1_700_000_000_000L);
        String name = unique("cleanup");
        Path config = writeFileConfig(dir, name, src, dst);
        Result copy = once(name, config, Map.of());
        assertThat(copy.exitCode()).as(copy.describe()).isZero();
        assertThat(copy.counts()).as(copy.describe()).containsEntry("copied", 2L);
        Map<String, LauncherSupport.FileStamp> copied = stamps(dst);

        // The destination proves it holds these very versions: the clean-up deletes the sources without a copy. (A
        // workflow of its own: the same workflow would see its messages of the first run dropped as duplicates.)
        String cleaning = unique("cleaning");
        config = writeFileConfig(dir, cleaning, src, dst, "cleanUp: true");
        Result cleanUp = once(cleaning, config, Map.of());

        assertThat(cleanUp.exitCode()).as(cleanUp.describe()).isZero();
        assertThat(cleanUp.counts()).as(cleanUp.describe())
                .containsEntry("copied", 0L).containsEntry("skipped", 2L).containsEntry("failed", 0L);
        assertThat(regularFiles(src)).as("the source after the clean-up").isEmpty();
        assertThat(stamps(dst)).as("the destination files, not rewritten").isEqualTo(copied);

        // The case: the same name and size again, other content. It is copied, then deleted.
        write(src.resolve("a.txt"), "version-2 BBBB", 1_700_000_060_000L);
        Result rewritten = once(cleaning, config, Map.of());

        assertThat(rewritten.exitCode()).as(rewritten.describe()).isZero();
        assertThat(rewritten.counts()).as(rewritten.describe())
                .containsEntry("copied", 1L).containsEntry("skipped", 0L).containsEntry("failed", 0L);
        assertThat(dst.resolve("a.txt")).hasContent("version-2 BBBB");
        assertThat(regularFiles(src)).as("the source after the second clean-up").isEmpty();
    }

    @ParameterizedTest(name = "LC_ALL={0}")
    @ValueSource(strings = {"", "C"})
    void aNameThatIsNotUtf8AndANameLikeATemporaryFileAreCopiedAndCleanedUp(String locale) throws Exception {
        Path src = Files.createDirectories(dir.resolve("source"));
        Path dst = dir.resolve("destination");
        Files.writeString(src.resolve("plain.txt"), "plain");
        Files.writeString(Path.of(URI.create(src.toUri() + "caf%E9.txt")), "latin-1 name"); // the bytes caf\xe9.txt
        Files.writeString(src.resolve(".notes.ingest-old.tmp"), "a user's notes");
        Files.createDirectories(src.resolve("dossier é"));
        Files.writeString(src.resolve("dossier é/ファイル.txt"), "utf-8 name");
        String name = unique("names");
        Path config = writeFileConfig(dir, name, src, dst, "cleanUp: true");
        Map<String, String> env = locale.isEmpty() ? Map.of() : Map.of("LC_ALL", locale, "LANG", locale);

        Result run = once(name, config, env);

        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.counts()).as(run.describe()).containsEntry("listed", 4L).containsEntry("copied", 4L)
                .containsEntry("failed", 0L);
        assertThat(hashTree(dst).keySet()).as("the destination").containsExactly(
                ".notes.ingest-old.tmp", "caf%E9.txt", "dossier é/ファイル.txt", "plain.txt");
        assertThat(dst.resolve("caf%E9.txt")).hasContent("latin-1 name");
        assertThat(dst.resolve(".notes.ingest-old.tmp")).hasContent("a user's notes");
        assertThat(dst.resolve("dossier é/ファイル.txt")).hasContent("utf-8 name");
        try (Stream<Path> left = Files.list(src)) {
            assertThat(left.filter(Files::isRegularFile).toList()).as("source files after the clean-up").isEmpty();
        }
    }

    @Test
    void aDestinationDirectoryThatCannotBeCreatedIsAConfigurationErrorNamingTheKeyWithAndWithoutDryRun()
            throws Exception {
        Path src = Files.createDirectories(dir.resolve("source"));
        Files.writeString(src.resolve("a.txt"), "a");
        Path unusable = Path.of("/proc/ingest-out-" + unique("x"));
        String name = unique("unusable");
        Path config = writeFileConfig(dir, name, src, unusable);
        String problem = "destinations[0].path: cannot create directory '" + unusable + "'";

        Result dryRun = launcher.run(dir, TIMEOUT, Map.of(), queueArgs(NATS.url(), name, config, "--dry-run"));

        assertThat(dryRun.exitCode()).as(dryRun.describe()).isEqualTo(3);
        assertThat(dryRun.stderr()).as(dryRun.describe()).contains(problem);
        assertThat(dryRun.stdout()).as(dryRun.describe()).doesNotContain("is valid");

        Result run = once(name, config, Map.of());

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(3);
        assertThat(run.stderr()).as(run.describe()).contains(problem);
        assertThat(run.stdout()).as("no summary: nothing ran").doesNotContainPattern(LauncherSupport.SUMMARY);
        assertThat(unusable).doesNotExist();
    }

    @Test
    void aDryRunChecksADestinationDirectoryWithoutCreatingItOrLeavingAnythingBehind() throws Exception {
        Path src = Files.createDirectories(dir.resolve("source"));
        Files.writeString(src.resolve("a.txt"), "a");
        Path parent = Files.createDirectories(dir.resolve("parent"));
        String name = unique("probe");
        Path config = writeFileConfig(dir, name, src, parent.resolve("destination/deeper"));

        Result dryRun = launcher.run(dir, TIMEOUT, Map.of(), queueArgs(NATS.url(), name, config, "--dry-run"));

        assertThat(dryRun.exitCode()).as(dryRun.describe()).isZero();
        try (Stream<Path> entries = Files.list(parent)) {
            assertThat(entries.toList()).as("the destination's parent after a dry run").isEmpty();
        }
    }

    @Test
    void manyObjectsFailingAlikeShareOneSummaryLineWhileTheLogNamesEach() throws Exception {
        Path src = dir.resolve("source");
        Path dst = Files.createDirectories(dir.resolve("destination"));
        Files.writeString(dst.resolve("sub"), "a file where the objects need a folder");
        int failing = 40;
        for (int i = 0; i < failing; i++) {
            write(src.resolve(String.format("sub/f%03d.txt", i)), "content " + i, 1_700_000_000_000L);
        }
        write(src.resolve("ok.txt"), "fine", 1_700_000_000_000L);
        String name = unique("alike");
        Path config = writeFileConfig(dir, name, src, dst, "maxDeliver: 1");

        Result run = once(name, config, Map.of());

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
        assertThat(run.counts()).as(run.describe()).containsEntry("copied", 1L).containsEntry("failed", (long) failing);
        List<String> failureLines = run.stdout().lines().filter(l -> l.startsWith("  ")).toList();
        assertThat(failureLines).as(run.describe()).containsExactly("  " + failing + " objects failed: workflow "
                + name + ": object '<object>': object name '<object>' cannot be stored in destination 'dst': 'sub' "
                + "is a file, not a folder (for example 'sub/f000.txt', 'sub/f001.txt', 'sub/f002.txt' and "
                + (failing - 3) + " more)");
        for (int i = 0; i < failing; i++) {
            assertThat(run.stderr()).as("the log names every failure").contains(
                    String.format("dead-lettered object 'sub/f%03d.txt' of workflow %s", i, name));
        }
    }
}
