package dev.ingest.plugin.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source's version of a stored file, kept in the file's user extended attribute {@value #ATTRIBUTE}, so that
 * the destination can tell a rewritten source file of the same size from the copy it holds, without a single extra
 * file in the user's tree.
 *
 * <p>Where the file system does not support user extended attributes (ramfs, some network and FUSE file systems),
 * nothing is recorded and nothing is read back: the destination then judges by size alone, as unverified. That is
 * logged once per destination, at the first file concerned.
 *
 * <p>Thread-safe.
 */
final class VersionAttribute {

    private static final Logger LOG = LoggerFactory.getLogger(FileDestination.class);

    /** The attribute as {@code getfattr} shows it. */
    static final String ATTRIBUTE = "user.ingest.version";

    /** The same in the {@code user} namespace of {@link UserDefinedFileAttributeView}. */
    private static final String NAME = "ingest.version";

    /** Versions longer than this (in UTF-8) are not recorded: S3 ETags and modification times are far shorter. */
    static final int MAX_VERSION_BYTES = 1024;

    private static final int READ_BUFFER = 128;

    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final String destination;
    private final Path root;
    /** By device: whether its file system takes user extended attributes (asked only after a failure). */
    private final ConcurrentMap<Object, Boolean> supportedByDevice = new ConcurrentHashMap<>();
    private final AtomicBoolean warned = new AtomicBoolean();

    /**
     * @param destination the destination's name, for the log
     * @param root its directory, for the log
     */
    VersionAttribute(String destination, Path root) {
        this.destination = destination;
        this.root = root;
    }

    /**
     * Records the version with the file. An empty version, or one longer than {@value #MAX_VERSION_BYTES} bytes,
     * is not recorded.
     *
     * @param file a regular file (not followed if it is a link)
     * @param version the source's version of the object
     * @return whether it was recorded (false also where the file system cannot record it)
     * @throws IOException if recording failed on a file system that supports it
     */
    boolean write(Path file, String version) throws IOException {
        byte[] bytes = version.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > MAX_VERSION_BYTES) {
            return false;
        }
        UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class,
                NOFOLLOW);
        if (view == null) {
            unsupported();
            return false;
        }
        try {
            view.write(NAME, ByteBuffer.wrap(bytes));
            return true;
        } catch (NoSuchFileException e) {
            throw e;
        } catch (FileSystemException e) {
            if (supported(file)) {
                throw e;
            }
            unsupported();
            return false;
        }
    }

    /**
     * Records a blob's user metadata with the file, each entry as the extended attribute {@code user.<name>} (a
     * batch's {@code user.ingest-records}, say). Skipped where the file system cannot record it.
     *
     * @param file a regular file (not followed if it is a link)
     * @param metadata names to values, printable ASCII
     * @throws IOException if recording failed on a file system that supports it
     */
    void writeMetadata(Path file, java.util.Map<String, String> metadata) throws IOException {
        if (metadata.isEmpty()) {
            return;
        }
        UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class,
                NOFOLLOW);
        if (view == null) {
            return;
        }
        for (java.util.Map.Entry<String, String> e : metadata.entrySet()) {
            try {
                view.write(e.getKey(), ByteBuffer.wrap(e.getValue().getBytes(StandardCharsets.US_ASCII)));
            } catch (NoSuchFileException ex) {
                throw ex;
            } catch (FileSystemException ex) {
                if (supported(file)) {
                    throw ex;
                }
                return;
            }
        }
    }

    /**
     * The version recorded with a file.
     *
     * @param file a regular file (not followed if it is a link)
     * @return the recorded version; empty when none is recorded or the file system cannot record one
     * @throws NoSuchFileException if the file does not exist
     * @throws IOException if it cannot be read now
     */
    Optional<String> read(Path file) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class,
                NOFOLLOW);
        if (view == null) {
            return Optional.empty();
        }
        try {
            ByteBuffer buffer = ByteBuffer.allocate(READ_BUFFER);
            view.read(NAME, buffer);
            return Optional.of(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw e;
        } catch (FileSystemException e) {
            // Absent (ENODATA), longer than the buffer (ERANGE) or not supported: tell them apart without parsing
            // the system's localized error text.
            if (!supported(file) || !view.list().contains(NAME)) {
                return Optional.empty();
            }
            ByteBuffer buffer = ByteBuffer.allocate(view.size(NAME));
            view.read(NAME, buffer);
            return Optional.of(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
        }
    }

    /** Whether the file system of the file takes user extended attributes; asked of the JDK once per device. */
    private boolean supported(Path file) throws IOException {
        Object device;
        try {
            device = Files.getAttribute(file, "unix:dev", NOFOLLOW);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            device = Files.getFileStore(file);
        }
        Boolean known = supportedByDevice.get(device);
        if (known == null) {
            known = Files.getFileStore(file).supportsFileAttributeView(UserDefinedFileAttributeView.class);
            supportedByDevice.put(device, known);
        }
        return known;
    }

    private void unsupported() {
        if (warned.compareAndSet(false, true)) {
            LOG.warn("destination '{}' ({}): the file system does not support user extended attributes, so the "
                    + "source's version of a file cannot be recorded with it as {}: a file of the listed size counts "
                    + "as present without proof that it is the current version (with cleanUp, such a file is copied "
                    + "again before the source file is deleted)", destination, root, ATTRIBUTE);
        }
    }
}
