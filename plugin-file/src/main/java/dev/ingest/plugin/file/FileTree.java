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
 * listed; the destination's temporary files are left out.
 */
final class FileTree {

    /** A regular file: its name relative to the root and its size. */
    record Found(String name, long size) {
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
    static List<Found> list(Path root, int depth, Predicate<Path> selected) throws IOException {
        List<Found> found = new ArrayList<>();
        Files.walkFileTree(root, EnumSet.noneOf(FileVisitOption.class), depth, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                // Without FOLLOW_LINKS, symlinks arrive here with their own attributes: not regular files.
                if (attrs.isRegularFile()) {
                    Path relative = root.relativize(file);
                    if (!ObjectNames.isTempFile(relative.getFileName().toString()) && selected.test(relative)) {
                        found.add(new Found(slashed(relative), attrs.size()));
                    }
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
        found.sort(Comparator.comparing(Found::name, Inventory::compareNames));
        return found;
    }

    private static String slashed(Path relative) {
        StringBuilder sb = new StringBuilder();
        for (Path element : relative) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(element);
        }
        return sb.toString();
    }
}
