package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When {@code scripts/quickstart.sh} rebuilds: only when a source or build file changed after the distribution was
 * built, although the launcher in the distribution keeps its source's old modification time (as Maven copies it).
 */
class QuickstartScriptTest {

    @TempDir
    Path repo;

    private static final Instant LONG_AGO = Instant.parse("2020-01-01T00:00:00Z");
    private static final Instant BUILT = Instant.parse("2025-01-01T00:00:00Z");

    private Path file(String path, Instant time) throws Exception {
        Path p = repo.resolve(path);
        Files.createDirectories(p.getParent());
        if (!Files.exists(p)) {
            Files.writeString(p, "x");
        }
        Files.setLastModifiedTime(p, FileTime.from(time));
        return p;
    }

    private boolean needsBuild() throws Exception {
        Process p = new ProcessBuilder("bash", repo.resolve("scripts/quickstart.sh").toString(), "--needs-build")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("prints nothing").isEmpty();
        return p.exitValue() == 0;
    }

    @Test
    void aFreshPackageIsNotRebuiltAndAChangedSourceIs() throws Exception {
        Files.createDirectories(repo.resolve("scripts"));
        Files.copy(LauncherSupport.repositoryRoot().resolve("scripts/quickstart.sh"), repo.resolve("scripts/quickstart.sh"));
        Path source = file("ingest-core/src/main/java/A.java", LONG_AGO.plusSeconds(10));
        file("pom.xml", LONG_AGO.plusSeconds(10));
        assertThat(needsBuild()).as("no distribution yet").isTrue();

        Path launcher = file("ingest-cli/target/ingest/bin/ingest", LONG_AGO); // keeps its source's time
        launcher.toFile().setExecutable(true);
        file("ingest-cli/target/ingest/lib/ingest-cli-0.1.0.jar", BUILT);
        file("ingest-cli/target/ingest/plugins/file/plugin-file-0.1.0.jar", BUILT);
        file("ingest-cli/target/classes/Newer.class", BUILT.plusSeconds(60)); // build output is not a source

        assertThat(needsBuild()).as("just packaged with mvn: nothing to do").isFalse();

        Files.setLastModifiedTime(source, FileTime.from(BUILT.plusSeconds(5)));
        assertThat(needsBuild()).as("a source changed after the build").isTrue();

        file("ingest-cli/target/.quickstart-built", BUILT.plusSeconds(10));
        assertThat(needsBuild()).as("built again by the script").isFalse();
    }

    @Test
    void theBuildAsksMavenForNoColours() throws Exception {
        String script = Files.readString(LauncherSupport.repositoryRoot().resolve("scripts/quickstart.sh"));

        assertThat(script).containsPattern("mvn -B -q -Dstyle.color=never");
    }
}
