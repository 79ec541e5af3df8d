package com.example.ingest.compress;

import dev.ingest.api.PoisonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Maps object names to files under a root directory, refusing names that would escape it. */
final class Names {

    private Names() {
    }

    /**
     * The file for a relative name under a root, checked to stay under it (also through symbolic links of the
     * folders that already exist).
     *
     * @param root the real path of the root directory
     * @param relative the object's name or id, {@code /}-separated
     * @param what names the plugin object in messages, e.g. {@code destination 'archive'}
     * @return the file, which may not exist yet
     * @throws PoisonException if the name can never be used here: retrying does not help
     * @throws IOException if the file system cannot be inspected now
     */
    static Path resolve(Path root, String relative, String what) throws IOException {
        String why = whyUnsafe(relative);
        if (why != null) {
            throw new PoisonException("object name '" + relative + "' cannot be used by " + what + ": " + why);
        }
        Path target;
        try {
            target = root.resolve(relative).normalize();
        } catch (InvalidPathException e) {
            throw new PoisonException("object name '" + relative + "' cannot be used by " + what + ": " + e.getMessage(), e);
        }
        Path ancestor = target.getParent();
        while (!ancestor.equals(root) && !Files.exists(ancestor, LinkOption.NOFOLLOW_LINKS)) {
            ancestor = ancestor.getParent();
        }
        Path real;
        try {
            real = ancestor.toRealPath();
        } catch (NoSuchFileException e) {
            throw new PoisonException("object name '" + relative + "' cannot be used by " + what
                    + ": a folder on its path is a broken symbolic link", e);
        }
        if (!target.startsWith(root) || !real.startsWith(root)) {
            throw new PoisonException("object name '" + relative + "' cannot be used by " + what + ": it leads outside "
                    + root);
        }
        return target;
    }

    private static String whyUnsafe(String name) {
        if (name.indexOf('\0') >= 0) {
            return "it contains a NUL character";
        }
        if (name.indexOf('\\') >= 0) {
            return "it contains a backslash";
        }
        if (name.startsWith("/")) {
            return "it is an absolute path";
        }
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return "it contains an empty, '.' or '..' path segment";
            }
        }
        return null;
    }

    /**
     * @param root a directory
     * @param file a file under it
     * @return the relative path with {@code /} separators
     */
    static String relative(Path root, Path file) {
        StringBuilder sb = new StringBuilder();
        for (Path element : root.relativize(file)) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(element);
        }
        return sb.toString();
    }
}
