package com.example.ingest.compress;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Scan;
import dev.ingest.api.Source;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLConnection;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Lists the compressed files of a directory tree ({@code *.gz} or {@code *.bz2}) and serves them decompressed:
 * {@code reports/q1.csv.gz} is the object {@code reports/q1.csv}. The id is the compressed file's relative path,
 * the version its modification time and size; the size is unknown (-1) until decompressed.
 *
 * <p>Errors: a file that vanished since it was listed, or that is not in the configured format, is a
 * {@link PoisonException} (retrying cannot help); other I/O failures are plain {@link IOException}s and retried.
 * Corruption found in the middle of a file surfaces as an {@code IOException} while the blob is read.
 *
 * <p>Thread-safety: safe for concurrent use. Every {@link #scan()} has its own listing (used by one thread at a
 * time); {@link #download} and {@link #cleanUp} hold no state.
 */
final class CompressedSource implements Source {

    private final String name;
    private final Path root;
    private final Format format;

    CompressedSource(String name, Path root, Format format) throws IOException {
        this.name = name;
        this.root = root.toRealPath();
        this.format = format;
    }

    /** Walks the tree now; each scan holds its own listing, so several workflows may scan at once. */
    @Override
    public Scan scan() throws IOException {
        List<Path> found = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String fileName = file.getFileName().toString();
                // Temporary files of the destination (".x.gz.<random>.tmp") do not end with the extension.
                if (attrs.isRegularFile() && fileName.endsWith(format.extension())
                        && fileName.length() > format.extension().length()) {
                    found.add(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (!file.equals(root) && (e instanceof NoSuchFileException || e instanceof NotDirectoryException)) {
                    return FileVisitResult.CONTINUE; // removed while we were listing
                }
                throw e;
            }
        });
        found.sort(null);
        Iterator<Path> files = found.iterator();
        return () -> {
            while (files.hasNext()) {
                Path file = files.next();
                BasicFileAttributes attrs;
                try {
                    attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    continue; // gone since the listing
                }
                String id = Names.relative(root, file);
                String objectName = id.substring(0, id.length() - format.extension().length());
                return Optional.of(Codec.of(id, objectName, version(attrs), -1));
            }
            return Optional.empty();
        };
    }

    private static String version(BasicFileAttributes attrs) {
        return attrs.lastModifiedTime().toMillis() + "-" + attrs.size();
    }

    @Override
    public Blob download(Codec codec) throws IOException {
        Path file = Names.resolve(root, codec.id(), "source '" + name + "'");
        InputStream in;
        try {
            in = Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new PoisonException("compressed file '" + codec.id() + "' no longer exists in source '" + name + "'", e);
        }
        try {
            InputStream decompressed = format.decompress(in);
            return Blob.ofUnknownLength(decompressed, URLConnection.guessContentTypeFromName(codec.name()));
        } catch (IOException | RuntimeException e) {
            try {
                in.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IOException && Files.isRegularFile(file)) {
                // The header is not this format's: the same bytes will fail the same way next time.
                throw new PoisonException("file '" + codec.id() + "' in source '" + name + "' is not "
                        + format.key() + " data: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * Deletes the compressed file. Already gone counts as success; a file rewritten since it was listed (another
     * version) is left alone, since its new content has not been copied yet.
     */
    @Override
    public void cleanUp(Codec codec) throws IOException {
        Path file = Names.resolve(root, codec.id(), "source '" + name + "'");
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (!codec.version().isEmpty() && !codec.version().equals(version(attrs))) {
            return;
        }
        Files.deleteIfExists(file);
    }

    @Override
    public String toString() {
        return "CompressedSource[" + name + ": " + root + ", " + format.key() + "]";
    }
}
