package com.example.ingest.compress;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.PoisonException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores each object compressed, as the file {@code <path>/<name><extension>} ({@code reports/q1.csv} becomes
 * {@code reports/q1.csv.gz}), creating folders as needed.
 *
 * <p>Streaming: the object flows from the blob through the compressor to a temporary file
 * {@code .<file>.<random>.tmp} next to the target, with a fixed 64 KiB buffer whatever its size. The temporary
 * file is flushed to disk and renamed over the target atomically, so nobody ever sees a partial file under the
 * final name; a failed store deletes it.
 *
 * <p>Presence ({@link #stat}): the file exists and, for gzip when the codec's size is known, the size recorded in
 * the gzip trailer matches it (modulo 2^32, as gzip records it), so that an object that changed size is stored
 * again. bzip2 records no size: any existing file counts.
 *
 * <p>Thread-safety: stateless, safe for concurrent use. Two concurrent stores of one name each write their own
 * temporary file; the last rename wins.
 */
final class CompressedDestination implements Destination {

    private static final Logger LOG = LoggerFactory.getLogger(CompressedDestination.class);
    private static final int BUFFER = 64 * 1024;

    private final String name;
    private final Path root;
    private final Format format;
    private final int level;

    CompressedDestination(String name, Path root, Format format, int level) throws IOException {
        this.name = name;
        this.root = real(root);
        this.format = format;
        this.level = level;
    }

    /**
     * @return the directory with every symbolic link resolved; when it does not exist yet (it is created by the first
     *     store), its nearest existing folder resolved and the rest as written
     */
    private static Path real(Path dir) throws IOException {
        Path existing = dir.toAbsolutePath().normalize();
        Path rest = existing.getFileSystem().getPath("");
        while (!Files.exists(existing) && existing.getParent() != null) {
            rest = existing.getFileName().resolve(rest);
            existing = existing.getParent();
        }
        return existing.toRealPath().resolve(rest).normalize();
    }

    private Path target(Codec codec) throws IOException {
        return Names.resolve(root, codec.name() + format.extension(), "destination '" + name + "'");
    }

    @Override
    public Optional<URI> stat(Codec codec) throws IOException {
        if (!Files.isDirectory(root)) {
            Names.resolve(root.getFileSystem().getPath("/"), codec.name(), "destination '" + name + "'"); // name checks
            return Optional.empty(); // nothing stored yet: the first store creates the directory
        }
        Path target = target(codec);
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (!attrs.isRegularFile()) {
            return Optional.empty();
        }
        if (format == Format.GZIP && codec.size() >= 0) {
            OptionalLong recorded = gzipTrailerSize(target, attrs.size());
            if (recorded.isEmpty() || recorded.getAsLong() != (codec.size() & 0xFFFF_FFFFL)) {
                return Optional.empty();
            }
        }
        return Optional.of(target.toUri());
    }

    /** The ISIZE field of a gzip file: the last four bytes, little-endian, the original size modulo 2^32. */
    private static OptionalLong gzipTrailerSize(Path file, long fileSize) throws IOException {
        if (fileSize < 18) { // a 10-byte header and an 8-byte trailer at least
            return OptionalLong.empty();
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer isize = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            while (isize.hasRemaining()) {
                if (channel.read(isize, fileSize - 4 + isize.position()) < 0) {
                    return OptionalLong.empty();
                }
            }
            return OptionalLong.of(isize.flip().getInt() & 0xFFFF_FFFFL);
        }
    }

    @Override
    public URI store(Codec codec, Blob blob) throws IOException {
        Files.createDirectories(root);
        Path target = target(codec);
        Path dir = target.getParent();
        Files.createDirectories(dir);
        if (!dir.toRealPath().startsWith(root)) { // a folder swapped for a symbolic link since target()
            throw new PoisonException("object name '" + codec.name() + "' cannot be used by destination '" + name
                    + "': it leads outside " + root);
        }
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new PoisonException("object '" + codec.name() + "' cannot be stored in destination '" + name
                    + "': " + target + " is a directory");
        }
        Path temp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            String fileName = codec.name().substring(codec.name().lastIndexOf('/') + 1);
            long count;
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream compressed = format.compress(
                         new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER), level, fileName)) {
                count = copy(blob.stream(), compressed);
                OptionalLong expected = blob.length();
                if (expected.isPresent() && expected.getAsLong() != count) {
                    throw new IOException("object '" + codec.name() + "' for destination '" + name + "': expected "
                            + expected.getAsLong() + " bytes, got " + count);
                }
            } // closing the compressor writes the format's trailer and closes the file
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.force(true); // on disk before it becomes visible under its name
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.debug("stored '{}' ({} bytes before compression) as {}", codec.name(), count, target);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        syncDirectory(dir);
        return target.toUri();
    }

    /** Makes the rename durable where directories can be opened (POSIX systems). */
    private static void syncDirectory(Path dir) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException | UnsupportedOperationException e) {
            return;
        }
        try (channel) {
            channel.force(true);
        }
    }

    private static long copy(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[BUFFER];
        long count = 0;
        int n;
        while ((n = in.read(buffer)) != -1) {
            out.write(buffer, 0, n);
            count += n;
        }
        return count;
    }

    @Override
    public String toString() {
        return "CompressedDestination[" + name + ": " + root + ", " + format.key() + " level " + level + "]";
    }
}
