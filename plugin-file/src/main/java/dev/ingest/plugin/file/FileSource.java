package dev.ingest.plugin.file;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.NameFilter;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Scan;
import dev.ingest.api.Source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A local directory as a source: lists its regular files and serves them, then deletes them once every
 * destination holds them.
 *
 * <p>Objects are identified and named by their path relative to the root directory, with {@code /} as the
 * separator. Their version is the modification time in milliseconds and the size ({@code 1700000000000-42}),
 * so a changed file is queued again.
 *
 * <p>A path whose bytes are not valid UTF-8 gets a printable name (see {@link ObjectNames}: {@code caf%E9.txt}),
 * and its codec carries the path's bytes as {@link Codec#meta()}, so that {@link #download} and {@link #cleanUp}
 * find that very file. Should such a name equal the name of another file, whose name is valid UTF-8, that file is
 * listed and the other is not: the scan then ends with an error naming both, after every other file was listed.
 *
 * <p>Listing does not follow symbolic links: symlinked files and directories are skipped, and so are the
 * temporary files of a {@code file} destination ({@code .name.ingest-<16 hex digits>.tmp}).
 *
 * <p>Thread-safety: safe for concurrent use. Every {@link #scan()} walks the tree for itself, so several workflows
 * may scan one source at once; {@link #download} and {@link #cleanUp} may run concurrently with scans.
 */
public final class FileSource implements Source {

    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final String name;
    private final Path root;
    private final boolean recursive;
    private final NameFilter selection;

    /**
     * Creates a source over a directory. The provider validates the configuration; this constructor only
     * records it.
     *
     * @param name the configured name of the source, used in messages
     * @param root the directory to list; its real path is used from now on
     * @param recursive whether to list subdirectories too
     * @param include glob patterns of the files to list; empty lists every file
     * @param exclude glob patterns of the files not to list; they win over {@code include}
     * @throws IOException if the root's real path cannot be determined
     * @throws java.util.regex.PatternSyntaxException if a pattern is not a valid glob
     */
    public FileSource(String name, Path root, boolean recursive, List<String> include, List<String> exclude)
            throws IOException {
        this(name, root, recursive, NameFilter.of(include, exclude));
    }

    /**
     * A source of the files of a directory that a filter selects.
     *
     * @param name the configured name of the source, used in messages
     * @param root the directory to list; its real path is used from now on
     * @param recursive whether to list subdirectories too
     * @param selection which files are listed
     * @throws IOException if the root's real path cannot be determined
     */
    public FileSource(String name, Path root, boolean recursive, NameFilter selection) throws IOException {
        this.name = Objects.requireNonNull(name, "name");
        this.root = root.toRealPath();
        this.recursive = recursive;
        this.selection = Objects.requireNonNull(selection, "selection");
    }

    /**
     * The directory this source lists.
     *
     * @return the real path of the root
     */
    public Path root() {
        return root;
    }

    /**
     * Walks the tree now and returns its regular files in UTF-8 order of their relative paths. The names are held
     * by the scan; each file's attributes are read as it is handed out, so a file removed meanwhile is left out.
     * Files whose names collide ({@link FileTree.Listing#collisions()}) make the scan fail at its end.
     */
    @Override
    public Scan scan() throws IOException {
        int depth = recursive ? Integer.MAX_VALUE : 1;
        FileTree.Listing listing = FileTree.list(root, depth, selection::selected);
        Iterator<FileTree.Found> found = listing.files().iterator();
        return new Scan() {
            private boolean collisionsReported;

            @Override
            public Optional<Codec> next() throws IOException {
                while (found.hasNext()) {
                    FileTree.Found f = found.next();
                    BasicFileAttributes attrs;
                    try {
                        attrs = Files.readAttributes(ObjectNames.resolve(root, f.name(), f.raw()),
                                BasicFileAttributes.class, NOFOLLOW);
                    } catch (NoSuchFileException e) {
                        continue; // gone since the listing
                    }
                    if (!attrs.isRegularFile()) {
                        continue; // replaced by a directory or a symlink since the listing
                    }
                    return Optional.of(new Codec(f.name(), f.name(), f.raw(), version(attrs), attrs.size()));
                }
                if (!listing.collisions().isEmpty() && !collisionsReported) {
                    collisionsReported = true;
                    throw collisions(listing.collisions());
                }
                return Optional.empty();
            }
        };
    }

    private IOException collisions(List<FileTree.Found> collided) {
        StringBuilder sb = new StringBuilder("source '").append(name).append("' (").append(root).append("): ")
                .append(collided.size()).append(collided.size() == 1 ? " file is" : " files are")
                .append(" not copied because the printable form of a name that is not valid UTF-8 equals the name of"
                        + " another file, which is copied: ");
        for (int i = 0; i < collided.size() && i < 10; i++) {
            sb.append(i == 0 ? "" : ", ").append('\'').append(collided.get(i).name()).append('\'');
        }
        if (collided.size() > 10) {
            sb.append(" and ").append(collided.size() - 10).append(" more");
        }
        return new IOException(sb.append("; rename one file of each pair").toString());
    }

    private static String version(BasicFileAttributes attrs) {
        return attrs.lastModifiedTime().toMillis() + "-" + attrs.size();
    }

    @Override
    public Blob download(Codec codec) throws IOException {
        Path file = resolve(codec);
        if (file == null) {
            throw vanished(codec, null);
        }
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            throw vanished(codec, e);
        }
        if (!attrs.isRegularFile()) {
            throw new PoisonException("file '" + codec.id() + "' in source '" + name + "' is not a regular file");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw vanished(codec, e);
        }
        try {
            long size = channel.size();
            InputStream stream = Channels.newInputStream(channel);
            return Blob.of(stream, size, contentType(file));
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private PoisonException vanished(Codec codec, Exception cause) {
        return new PoisonException("file '" + codec.id() + "' no longer exists in source '" + name + "' ("
                + root + ")", cause);
    }

    private static String contentType(Path file) {
        try {
            return Files.probeContentType(file);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Deletes the file. Already gone counts as success. A file whose version differs from the codec's (it was
     * rewritten after it was listed) is left alone: its new content has not been copied yet, and the next scan
     * queues it again.
     */
    @Override
    public void cleanUp(Codec codec) throws IOException {
        Path file = resolve(codec);
        if (file == null) {
            return;
        }
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            return;
        }
        if (attrs.isDirectory()) {
            throw new PoisonException("file '" + codec.id() + "' in source '" + name
                    + "' is a directory now; not deleting it");
        }
        if (attrs.isRegularFile() && !codec.version().isEmpty() && !codec.version().equals(version(attrs))) {
            return;
        }
        Files.deleteIfExists(file);
    }

    /**
     * The file a codec stands for, checked to lie under the root: its id as a relative path, or the bytes its meta
     * carries when its id is the printable form of a name that is not valid UTF-8.
     *
     * @return the path, or {@code null} when its directory no longer exists
     * @throws PoisonException if the id is not a safe relative path or leads outside the root
     */
    private Path resolve(Codec codec) throws IOException {
        String id = codec.id();
        String why = ObjectNames.whyUnsafe(id, false);
        if (why != null) {
            throw new PoisonException("id '" + id + "' is not a file of source '" + name + "': " + why);
        }
        byte[] raw = codec.meta();
        if (raw.length == 0) {
            raw = null;
        } else if (!ObjectNames.mapBytes(raw).equals(id)) {
            throw new PoisonException("id '" + id + "' is not a file of source '" + name + "': the path bytes it"
                    + " carries stand for '" + ObjectNames.mapBytes(raw) + "'");
        }
        Path file;
        try {
            file = ObjectNames.resolve(root, id, raw);
        } catch (IllegalArgumentException e) { // java.nio.file.InvalidPathException among them
            throw new PoisonException("id '" + id + "' is not a file of source '" + name + "': " + e.getMessage(), e);
        }
        Path parent = file.getParent();
        if (!Files.isDirectory(parent)) {
            return null; // its directory is gone (or was replaced by a file)
        }
        Path realParent;
        try {
            realParent = parent.toRealPath();
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!realParent.startsWith(root)) {
            throw new PoisonException("id '" + id + "' leads outside source '" + name + "' (" + root
                    + ") through a symbolic link");
        }
        return realParent.resolve(file.getFileName());
    }

    /** Nothing to release: scans hold their own listings. Idempotent. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "FileSource[" + name + ": " + root + (recursive ? "" : ", top level only") + "]";
    }
}
