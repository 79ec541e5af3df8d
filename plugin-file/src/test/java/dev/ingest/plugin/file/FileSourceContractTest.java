package dev.ingest.plugin.file;

import dev.ingest.api.PluginConfig;
import dev.ingest.api.Source;
import dev.ingest.testkit.contract.SourceContract;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The file source against the source contract of ingest-testkit. */
class FileSourceContractTest extends SourceContract {

    @TempDir
    Path dir;

    @Override
    protected Source createSource() throws Exception {
        return new FilePluginProvider().createSource(PluginConfig.of("contract", Map.of("path", dir.toString())));
    }

    @Override
    protected void putObject(String name, InputStream content, long length) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.copy(content, file, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    protected void deleteObject(String name) throws IOException {
        Files.delete(dir.resolve(name));
    }

    @Override
    protected boolean objectExists(String name) {
        return Files.exists(dir.resolve(name));
    }
}
