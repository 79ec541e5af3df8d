package com.example.ingest.compress;

import dev.ingest.api.PluginConfig;
import dev.ingest.api.Source;
import dev.ingest.testkit.contract.SourceContract;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gzip source against the source contract. Its objects are written with the JDK's own gzip encoder, so the
 * source is checked to read standard gzip files, not just those the plugin's library writes.
 */
class CompressSourceContractTest extends SourceContract {

    @TempDir
    Path dir;

    @Override
    protected Source createSource() throws Exception {
        return new CompressPluginProvider().createSource(PluginConfig.of("contract", Map.of("path", dir.toString())));
    }

    @Override
    protected void putObject(String name, InputStream content, long length) throws IOException {
        Path file = dir.resolve(name + ".gz");
        Files.createDirectories(file.getParent());
        Path temp = file.resolveSibling(file.getFileName() + ".partial");
        try (OutputStream out = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(temp)), 64 * 1024)) {
            content.transferTo(out);
        }
        Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    protected void deleteObject(String name) throws IOException {
        Files.delete(dir.resolve(name + ".gz"));
    }

    @Override
    protected boolean objectExists(String name) {
        return Files.exists(dir.resolve(name + ".gz"));
    }
}
