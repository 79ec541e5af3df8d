package dev.ingest.plugin.file;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Inventory;
import dev.ingest.api.Listed;
import dev.ingest.api.PoisonException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A local directory as a destination: stores each object as a file at its name relative to the root,
 * creating folders as needed.
 *
 * <p>Objects are written to a temporary file in the target's directory ({@code .name.ingest-<random>.tmp}),
 * flushed to disk and then renamed over the target atomically, so a reader never sees a partial file under the
 * final name. A failed store deletes its temporary file.
 *
 * <p>Names that are absolute, contain {@code .}, {@code ..} or empty segments, NUL or backslash characters,
 * or that would lead outside the root through a symbolic link are refused with a {@link PoisonException}.
 *
 * <p>Thread-safety: safe for concurrent use; it holds no mutable state. Two concurrent stores of the same name
 * each write their own temporary file; the last rename wins.
 */
public final class FileDestination implements Destination {

    private static final int BUFFER_SIZE = 64 * 1024;
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final String name;
    private final Path root;

    /**
     * Creates a destination over a directory, which is created with the first object stored (so that a dry run
     * or a run that copies nothing leaves no trace). The provider validates the configuration; this constructor
     * only records the directory.
     *
     * @param name the configured name of the destination, used in messages
     * @param root the directory to store into; the real path of its nearest existing ancestor is used from now on
     * @throws IOException if no ancestor of the root exists or its real path cannot be determined
     */
    public FileDestination(String name, Path root) throws IOException {
        this.name = Objects.requireNonNull(name, "name");
        this.root = realPath(root.toAbsolutePath().normalize());
    }

    /** The real path of {@code dir}, or of its nearest existing ancestor with the missing part appended. */
    static Path realPath(Path dir) throws IOException {
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new NoSuchFileException(dir.toString(), null, "no part of the path exists");
        }
        return existing.toRealPath().resolve(existing.relativize(dir));
    }

    /**
     * The directory this destination stores into.
     *
     * @return the real path of the root
     */
    public Path root() {
        return root;
    }

    @Override
    public Optional<URI> stat(Codec codec) throws IOException {
        if (!Files.exists(root)) {
            ObjectNames.whyUnsafe(codec.name(), true); // nothing stored yet; unsafe names still fail at store
            return Optional.empty();
        }
        Path target = resolve(codec.name());
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(target, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (attrs.isRegularFile() && (codec.size() < 0 || attrs.size() == codec.size())) {
            return Optional.of(target.toUri());
        }
        return Optional.empty();
    }

    /**
     * What the directory holds: every regular file under the root (not the temporary files of stores in progress),
     * in UTF-8 order, with its size. The directory is walked when the listing is asked for, and the names are held
     * in memory until it is closed, as the file source holds its own listing. A root not created yet holds nothing.
     */
    @Override
    public Optional<Inventory> inventory() throws IOException {
        if (!Files.exists(root)) {
            return Optional.of(() -> Optional.empty());
        }
        Iterator<FileTree.Found> files = FileTree.list(root, Integer.MAX_VALUE, p -> true).iterator();
        return Optional.of(() -> {
            if (!files.hasNext()) {
                return Optional.empty();
            }
            FileTree.Found f = files.next();
            return Optional.of(new Listed(f.name(), f.size(), ""));
        });
    }

    /** The rule of {@link #stat}: a regular file of the object's name and size (any size when it is not known). */
    @Override
    public boolean holds(Codec codec, Listed entry) {
        return codec.size() < 0 || entry.size() == codec.size();
    }

    @Override
    public URI store(Codec codec, Blob blob) throws IOException {
        if (ObjectNames.whyUnsafe(codec.name(), true) == null) {
            Files.createDirectories(root);
        }
        Path target = resolve(codec.name());
        Path dir = target.getParent();
        Files.createDirectories(dir);
        // Narrow the window in which a folder could have been swapped for a symlink since resolve().
        if (!dir.toRealPath().startsWith(root)) {
            throw escapes(codec.name(), null);
        }
        Path temp = dir.resolve(ObjectNames.tempFileName(target.getFileName().toString(),
                ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                copy(codec, blob, channel);
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (NoSuchFileException e) {
                // A concurrent writer of the same object finished first and removed our temporary file as stale:
                // its complete copy is in place.
                if (!Files.isRegularFile(target, NOFOLLOW)) {
                    throw e;
                }
                return target.toUri();
            }
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        syncDirectory(dir);
        removeStaleTempFiles(dir, target.getFileName().toString());
        return target.toUri();
    }

    /**
     * Removes temporary files of the same name left by a writer that died (a killed process). Should one belong
     * to a writer still running, its rename fails and the object is retried, when it finds this copy present.
     */
    private static void removeStaleTempFiles(Path dir, String fileName) {
        try (java.nio.file.DirectoryStream<Path> siblings = Files.newDirectoryStream(dir,
                p -> ObjectNames.isTempFileOf(p.getFileName().toString(), fileName))) {
            for (Path stale : siblings) {
                Files.deleteIfExists(stale);
            }
        } catch (IOException e) {
            // Best effort: leftovers are invisible under the object's name and removed by the next store.
        }
    }

    private void copy(Codec codec, Blob blob, FileChannel channel) throws IOException {
        OptionalLong expected = blob.length();
        InputStream in = blob.stream();
        byte[] buffer = new byte[BUFFER_SIZE];
        ByteBuffer wrapped = ByteBuffer.wrap(buffer);
        long count = 0;
        int n;
        while ((n = in.read(buffer)) != -1) {
            count += n;
            if (expected.isPresent() && count > expected.getAsLong()) {
                throw lengthMismatch(codec, expected.getAsLong(), "more");
            }
            wrapped.clear().limit(n);
            while (wrapped.hasRemaining()) {
                channel.write(wrapped);
            }
        }
        if (expected.isPresent() && count != expected.getAsLong()) {
            throw lengthMismatch(codec, expected.getAsLong(), String.valueOf(count));
        }
    }

    private IOException lengthMismatch(Codec codec, long expected, String got) {
        return new IOException("object '" + codec.name() + "' for destination '" + name + "': expected "
                + expected + " bytes, got " + got);
    }

    /** Makes the rename durable. Skipped where directories cannot be opened (not on POSIX systems). */
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

    /**
     * The file an object name stands for, checked to lie under the root.
     *
     * @param objectName the object's name
     * @return the target path (which may not exist yet)
     * @throws PoisonException if the name can never be stored here
     * @throws IOException if the file system cannot be inspected now
     */
    private Path resolve(String objectName) throws IOException {
        String why = ObjectNames.whyUnsafe(objectName, true);
        if (why != null) {
            throw refused(objectName, why, null);
        }
        Path target;
        try {
            target = root.resolve(objectName).normalize();
        } catch (InvalidPathException e) {
            throw refused(objectName, e.getMessage(), e);
        }
        if (!target.startsWith(root) || target.equals(root)) {
            throw escapes(objectName, null);
        }
        if (Files.isSymbolicLink(target)) {
            throw refused(objectName, "'" + target + "' is a symbolic link", null);
        }
        if (Files.isDirectory(target, NOFOLLOW)) {
            throw refused(objectName, "'" + target + "' is a directory", null);
        }
        Path ancestor = target.getParent();
        while (!ancestor.equals(root) && !Files.exists(ancestor, NOFOLLOW)) {
            ancestor = ancestor.getParent();
        }
        Path real;
        try {
            real = ancestor.toRealPath();
        } catch (NoSuchFileException e) {
            if (ancestor.equals(root)) {
                throw new IOException("directory " + root + " of destination '" + name + "' does not exist", e);
            }
            throw refused(objectName, "'" + root.relativize(ancestor) + "' is a broken symbolic link", e);
        }
        if (!real.startsWith(root)) {
            throw escapes(objectName, null);
        }
        if (!Files.isDirectory(real)) {
            throw refused(objectName, "'" + root.relativize(ancestor) + "' is a file, not a folder", null);
        }
        return target;
    }

    private PoisonException escapes(String objectName, Exception cause) {
        return refused(objectName, "it leads outside " + root, cause);
    }

    private PoisonException refused(String objectName, String why, Exception cause) {
        return new PoisonException("object name '" + objectName + "' cannot be stored in destination '" + name
                + "': " + why, cause);
    }

    @Override
    public String toString() {
        return "FileDestination[" + name + ": " + root + "]";
    }
}
