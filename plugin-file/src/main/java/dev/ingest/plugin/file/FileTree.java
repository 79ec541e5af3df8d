package dev.ingest.plugin.file;

import dev.ingest.api.Inventory;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Predicate;

/**
 * The regular files under a directory, as the source lists them and the destination takes stock of them: names
 * relative to the directory with {@code /} between their elements, in ascending order of their UTF-8 bytes (the
 * order of S3 keys, which the engine's listing comparison relies on). Symbolic links are not followed and not
 * listed; the destination's temporary files are left out. Names whose bytes are not valid UTF-8 are
 * {@linkplain ObjectNames mapped} to printable ones.
 */
final class FileTree {

    /**
     * A regular file.
     *
     * @param name its name relative to the root
     * @param size its size
     * @param raw the bytes of its relative path when they are not valid UTF-8 ({@code name} is then their mapping),
     *     else {@code null}
     */
    record Found(String name, long size, byte[] raw) {

        /** @return whether the name is the printable mapping of bytes that are not valid UTF-8 */
        boolean mapped() {
            return raw != null;
        }
    }

    /**
     * What a walk found.
     *
     * @param files the files, sorted, each name once
     * @param collisions files whose names are not valid UTF-8 and map to the name of another file, whose name is
     *     valid UTF-8 and which is in {@code files}; sorted
     */
    record Listing(List<Found> files, List<Found> collisions) {
    }

    private FileTree() {
    }

    /**
     * Lists the tree.
     *
     * @param root the directory
     * @param depth how deep to go: 1 for the directory's own files only
     * @param selected which files to keep, by their path relative to the root
     * @return the files, sorted
     * @throws IOException if the root or a directory under it cannot be read (one removed while listing is skipped)
     */
    static Listing list(Path root, int depth, Predicate<Path> selected) throws IOException {
        List<Found> found = new ArrayList<>();
        walk(root, depth, (file, attrs) -> {
            Path relative = root.relativize(file);
            if (selected.test(relative)) {
                ObjectNames.Name name = ObjectNames.relativeName(root, file);
                found.add(new Found(name.name(), attrs.size(), name.raw()));
            }
        });
        found.sort(Comparator.comparing(Found::name, Inventory::compareNames));
        // Distinct byte strings that are valid UTF-8 decode to distinct names, and the mapping of the others is
        // one-to-one, so a name occurs twice only when a mapped name equals a real one. They sort next to each other.
        List<Found> files = new ArrayList<>(found.size());
        List<Found> collisions = new ArrayList<>();
        for (Found f : found) {
            Found last = files.isEmpty() ? null : files.get(files.size() - 1);
            if (last != null && last.name().equals(f.name())) {
                if (last.mapped()) {
                    files.set(files.size() - 1, f);
                    collisions.add(last);
                } else {
                    collisions.add(f);
                }
            } else {
                files.add(f);
            }
        }
        return new Listing(files, List.copyOf(collisions));
    }

    /** What {@link #walk} calls for each regular file. */
    @FunctionalInterface
    interface Visitor {
        /**
         * @param file the file, under the root
         * @param attrs its attributes, as the walk read them (not following links)
         */
        void file(Path file, BasicFileAttributes attrs);
    }

    /**
     * Visits every regular file under a directory, in no particular order: not following symbolic links, leaving out
     * the destination's temporary files. The one walk of the plugin: listings and the tail mode use it.
     *
     * @param root the directory
     * @param depth how deep to go: 1 for the directory's own files only
     * @param visitor called for each file
     * @throws IOException if the root or a directory under it cannot be read (one removed while walking is skipped)
     */
    static void walk(Path root, int depth, Visitor visitor) throws IOException {
        Files.walkFileTree(root, EnumSet.noneOf(FileVisitOption.class), depth, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                // Without FOLLOW_LINKS, symlinks arrive here with their own attributes: not regular files.
                // The frame of a temporary file's name is ASCII: an undecodable byte before it does not matter.
                if (attrs.isRegularFile() && !ObjectNames.isTempFile(file.getFileName().toString())) {
                    visitor.file(file, attrs);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (!file.equals(root) && (e instanceof NoSuchFileException || e instanceof NotDirectoryException)) {
                    return FileVisitResult.CONTINUE; // removed or replaced while we were listing
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && (dir.equals(root) || !(e instanceof NoSuchFileException))) {
                    throw e; // an unreadable directory fails the listing rather than silently hiding its files
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
