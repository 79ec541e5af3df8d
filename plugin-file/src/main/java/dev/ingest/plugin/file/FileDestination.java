package dev.ingest.plugin.file;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Inventory;
import dev.ingest.api.Listed;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Presence;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
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
 * given the source's version as the extended attribute {@value VersionAttribute#ATTRIBUTE}, flushed to disk and
 * then renamed over the target atomically, so a reader never sees a partial file under the final name, nor a
 * complete one without its version. A failed store deletes its temporary file.
 *
 * <p>A file is present for an object when it is a regular file of the object's size and, if both the file and the
 * object carry a version, the same version; the presence is {@linkplain Presence#verified() verified} only when the
 * recorded version equals the object's. Where the file system has no user extended attributes, presence is judged
 * by size and never verified.
 *
 * <p>Names that are absolute, contain {@code .}, {@code ..} or empty segments, NUL or backslash characters,
 * that would lead outside the root through a symbolic link, or that are too long for the file system are refused
 * with a {@link PoisonException}.
 *
 * <p>Thread-safety: safe for concurrent use; its only mutable state is caches that are. Two concurrent stores of
 * the same name each write their own temporary file; the last rename wins.
 */
public final class FileDestination implements Destination {

    private static final int BUFFER_SIZE = 64 * 1024;
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final String name;
    private final Path root;
    private final VersionAttribute versions;
    /** The system's text for ENAMETOOLONG, learned at the first need; "" where it could not be learned. */
    private volatile String nameTooLong;

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
        this.versions = new VersionAttribute(name, this.root);
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
        return check(codec).map(Presence::uri);
    }

    /**
     * A regular file of the codec's size (any size when it is not known) whose recorded version, if it has one, is
     * the codec's version (any, when the codec has none). Verified when the recorded version equals the codec's.
     */
    @Override
    public Optional<Presence> check(Codec codec) throws IOException {
        if (!Files.exists(root)) {
            String why = whyRefused(codec.name());
            if (why != null) {
                throw refused(codec.name(), why, null);
            }
            return Optional.empty(); // nothing stored yet
        }
        try {
            Path target = resolve(codec.name());
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(target, BasicFileAttributes.class, NOFOLLOW);
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
            if (!attrs.isRegularFile() || !sameSize(codec, attrs.size())) {
                return Optional.empty();
            }
            String recorded;
            try {
                recorded = versions.read(target).orElse("");
            } catch (NoSuchFileException e) {
                return Optional.empty(); // removed meanwhile
            }
            return judge(codec, recorded).map(verified -> new Presence(target.toUri(), verified));
        } catch (FileSystemException e) {
            throw poisonIfNameTooLong(codec.name(), e);
        }
    }

    private static boolean sameSize(Codec codec, long size) {
        return codec.size() < 0 || size == codec.size();
    }

    /**
     * How a file of the right size and the given recorded version stands for the codec.
     *
     * @return empty if it is another version; true if it is proven to be the codec's version; false if it may be
     */
    private static Optional<Boolean> judge(Codec codec, String recorded) {
        if (recorded.isEmpty() || codec.version().isEmpty()) {
            return Optional.of(false);
        }
        return recorded.equals(codec.version()) ? Optional.of(true) : Optional.empty();
    }

    /**
     * What the directory holds: every regular file under the root (not the temporary files of stores in progress,
     * nor files whose names are not valid UTF-8, which no object name stands for), in UTF-8 order, with its size
     * and recorded version. The directory is walked when the listing is asked for, and the names are held in memory
     * until it is closed, as the file source holds its own listing; each file's version is read as the listing
     * reaches it. A root not created yet holds nothing.
     */
    @Override
    public Optional<Inventory> inventory() throws IOException {
        if (!Files.exists(root)) {
            return Optional.of(() -> Optional.empty());
        }
        Iterator<FileTree.Found> files = FileTree.list(root, Integer.MAX_VALUE, p -> true).files().iterator();
        return Optional.of(() -> {
            while (files.hasNext()) {
                FileTree.Found f = files.next();
                if (f.mapped()) {
                    continue;
                }
                String recorded;
                try {
                    recorded = versions.read(ObjectNames.resolve(root, f.name(), null)).orElse("");
                } catch (NoSuchFileException e) {
                    continue; // removed since the walk
                }
                return Optional.of(new Listed(f.name(), f.size(), recorded));
            }
            return Optional.empty();
        });
    }

    /** The rule of {@link #check}: the object's size, and its version unless one of the two has none. */
    @Override
    public boolean holds(Codec codec, Listed entry) {
        return sameSize(codec, entry.size()) && judge(codec, entry.version()).isPresent();
    }

    @Override
    public URI store(Codec codec, Blob blob) throws IOException {
        try {
            return write(codec, blob);
        } catch (FileSystemException e) {
            throw poisonIfNameTooLong(codec.name(), e);
        }
    }

    private URI write(Codec codec, Blob blob) throws IOException {
        if (whyRefused(codec.name()) == null) {
            Files.createDirectories(root);
        }
        Path target = resolve(codec.name());
        Path dir = target.getParent();
        Files.createDirectories(dir);
        // Narrow the window in which a folder could have been swapped for a symlink since resolve().
        if (!dir.toRealPath().startsWith(root)) {
            throw escapes(codec.name(), null);
        }
        String fileName = codec.name().substring(codec.name().lastIndexOf('/') + 1);
        Path temp = ObjectNames.resolve(dir, ObjectNames.tempFileName(fileName,
                ThreadLocalRandom.current().nextLong()), null);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                copy(codec, blob, channel);
                // Before the rename: a complete file under the object's name always carries its version.
                try {
                    versions.write(temp, codec.version());
                    versions.writeMetadata(temp, blob.metadata());
                } catch (NoSuchFileException e) {
                    return concurrentlyStored(target, e);
                }
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (NoSuchFileException e) {
                return concurrentlyStored(target, e);
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
        removeStaleTempFiles(dir, fileName);
        return target.toUri();
    }

    /**
     * Our temporary file vanished before its rename: a concurrent writer of the same object finished first and removed
     * it as stale. Its complete copy is in place, unless the file vanished for another reason.
     */
    private static URI concurrentlyStored(Path target, NoSuchFileException e) throws NoSuchFileException {
        if (!Files.isRegularFile(target, NOFOLLOW)) {
            throw e;
        }
        return target.toUri();
    }

    /**
     * Removes temporary files of the same name left by a writer that died (a killed process). Should one belong
     * to a writer still running, its rename fails and the object is retried, when it finds this copy present.
     */
    private static void removeStaleTempFiles(Path dir, String fileName) {
        try (java.nio.file.DirectoryStream<Path> siblings = Files.newDirectoryStream(dir,
                p -> ObjectNames.isTempFile(p.getFileName().toString())
                        && ObjectNames.isTempFileOf(ObjectNames.relativeName(dir, p).name(), fileName))) {
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
     * Why an object name can never be stored here, judged on the name alone, or {@code null} if it may be.
     *
     * @param objectName the object's name
     * @return the reason, or {@code null}
     */
    private String whyRefused(String objectName) {
        String why = ObjectNames.whyUnsafe(objectName, true);
        if (why != null) {
            return why;
        }
        String fileName = objectName;
        for (String segment : objectName.split("/", -1)) {
            int bytes = ObjectNames.utf8Length(segment);
            if (bytes > ObjectNames.MAX_FILE_NAME_BYTES) {
                return "its part '" + abbreviate(segment) + "' is " + bytes + " bytes long, and a file name can have "
                        + "at most " + ObjectNames.MAX_FILE_NAME_BYTES;
            }
            fileName = segment;
        }
        long rootBytes = ObjectNames.utf8Length(root.toString());
        long nameBytes = ObjectNames.utf8Length(objectName);
        long fileNameBytes = ObjectNames.utf8Length(fileName);
        long targetPath = rootBytes + 1 + nameBytes;
        long tempPath = targetPath - fileNameBytes + ObjectNames.tempNameKeptBytes(fileName)
                + ObjectNames.TEMP_NAME_OVERHEAD;
        long longest = Math.max(targetPath, tempPath);
        if (longest > ObjectNames.MAX_PATH_BYTES) {
            return "its path in " + root + " (with the temporary file written first) would be " + longest
                    + " bytes long, and a path can have at most " + ObjectNames.MAX_PATH_BYTES;
        }
        return null;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 20) + "…" + s.substring(s.length() - 12);
    }

    /**
     * The failure to report for a file system error: a {@link PoisonException} naming the object when the system
     * found the name too long (ENAMETOOLONG: a file system with shorter names than Linux's usual 255 bytes), since
     * no retry can change that; otherwise the error itself.
     */
    private IOException poisonIfNameTooLong(String objectName, FileSystemException e) {
        String reason = e.getReason();
        if (reason != null && !reason.isEmpty() && reason.equals(nameTooLongText())) {
            return refused(objectName, "the file system refuses a name this long (" + reason + ")", e);
        }
        return e;
    }

    /**
     * The system's text for ENAMETOOLONG, in the locale's language, learned once by asking for a path longer than
     * any system takes; "" if it cannot be learned. The JDK reports that error only as that text.
     */
    private String nameTooLongText() {
        String text = nameTooLong;
        if (text == null) {
            try {
                Files.readAttributes(Path.of("/" + "x/".repeat(ObjectNames.MAX_PATH_BYTES / 2 + 1)),
                        BasicFileAttributes.class, NOFOLLOW);
                text = "";
            } catch (FileSystemException e) {
                text = e instanceof NoSuchFileException || e.getReason() == null ? "" : e.getReason();
            } catch (IOException | RuntimeException e) {
                text = "";
            }
            nameTooLong = text;
        }
        return text;
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
        String why = whyRefused(objectName);
        if (why != null) {
            throw refused(objectName, why, null);
        }
        Path target;
        try {
            target = ObjectNames.resolve(root, objectName, null).normalize();
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

    /**
     * Checks that this destination can store files, leaving nothing behind: in its directory, or where the directory
     * is missing in its nearest existing ancestor (in a probe folder), it creates a probe file with the version
     * attribute and removes it again. The probe's name is that of a temporary file, which no listing shows. The
     * directory itself is not created. A file system without user extended attributes is logged once, here.
     *
     * <p>Permission bits are not consulted: they do not stop root, and they say nothing of file systems such as
     * {@code /proc} or read-only mounts; the probe asks the file system itself.
     *
     * @return what is wrong, to report for the configuration key {@code path}; empty when the directory is usable
     */
    Optional<String> probe() {
        Path existing = root;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        boolean exists = root.equals(existing);
        String what = exists ? "cannot write to directory '" + root + "'" : "cannot create directory '" + root + "'";
        if (existing == null) {
            return Optional.of(what + ": no part of it exists");
        }
        if (!Files.isDirectory(existing)) {
            return Optional.of(exists ? "'" + root + "' is not a directory"
                    : what + ": '" + existing + "' is not a directory");
        }
        String probeName = ObjectNames.tempFileName("ingest-probe", ThreadLocalRandom.current().nextLong());
        Path probeDir = exists ? null : existing.resolve(probeName);
        Path probeFile = (exists ? root : probeDir).resolve(probeName);
        try {
            if (probeDir != null) {
                try {
                    Files.createDirectory(probeDir);
                } catch (IOException e) {
                    return Optional.of(what + ": a folder cannot be created in '" + existing + "' (" + reason(e) + ")");
                }
            }
            try {
                FileChannel.open(probeFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS).close();
            } catch (IOException e) {
                return Optional.of(what + ": a file cannot be created in '" + probeFile.getParent() + "' ("
                        + reason(e) + ")");
            }
            try {
                versions.write(probeFile, "probe");
            } catch (IOException e) {
                return Optional.of(what + ": the extended attribute " + VersionAttribute.ATTRIBUTE
                        + " cannot be written (" + reason(e) + ")");
            }
            return Optional.empty();
        } finally {
            deleteQuietly(probeFile);
            if (probeDir != null) {
                deleteQuietly(probeDir);
            }
        }
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.toString();
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // Nothing more to do: a leftover probe has a temporary file's name, which no listing shows.
        }
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
