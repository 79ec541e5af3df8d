package dev.ingest.plugin.file;

import java.util.regex.Pattern;

/**
 * Checks shared by the file source and destination: relative object names and the temporary files the
 * destination writes before renaming them into place.
 */
final class ObjectNames {

    /**
     * The temporary files of {@link FileDestination}: {@code .<filename>.ingest-<random>.tmp}. The file name
     * part may be shortened for very long names, so only the frame is matched.
     */
    private static final Pattern TEMP_FILE = Pattern.compile("\\..+\\.ingest-[0-9a-zA-Z]+\\.tmp", Pattern.DOTALL);

    /** The most bytes of the original file name kept in a temporary file name (file names are limited to 255). */
    private static final int MAX_TEMP_NAME_BYTES = 200;

    private ObjectNames() {
    }

    /**
     * Whether a file name is one of the destination's temporary files.
     *
     * @param fileName the last element of a path
     * @return true if the source must not list it
     */
    static boolean isTempFile(String fileName) {
        return TEMP_FILE.matcher(fileName).matches();
    }

    /**
     * The name of a temporary file for the given target file name.
     *
     * @param fileName the final file name
     * @param random a random number that makes the name unique
     * @return {@code .<filename>.ingest-<random>.tmp}, with the file name shortened if it is very long
     */
    static String tempFileName(String fileName, long random) {
        String suffix = Long.toHexString(random);
        return "." + shorten(fileName) + ".ingest-" + "0".repeat(16 - suffix.length()) + suffix + ".tmp";
    }

    /**
     * Whether {@code candidate} is a temporary file of {@code fileName} (of any writer).
     *
     * @param candidate a file name in the same directory
     * @param fileName the final file name
     * @return true if {@code candidate} is {@code .<fileName>.ingest-<16 hex>.tmp}
     */
    static boolean isTempFileOf(String candidate, String fileName) {
        String prefix = "." + shorten(fileName) + ".ingest-";
        return candidate.startsWith(prefix) && candidate.endsWith(".tmp")
                && candidate.length() == prefix.length() + 16 + 4;
    }

    private static String shorten(String fileName) {
        int bytes = 0;
        int end = 0;
        while (end < fileName.length()) {
            int cp = fileName.codePointAt(end);
            int len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + len > MAX_TEMP_NAME_BYTES) {
                break;
            }
            bytes += len;
            end += Character.charCount(cp);
        }
        return fileName.substring(0, end);
    }

    /**
     * Why a name cannot be used as a relative path under a root, or {@code null} if it can. Rejects absolute
     * names, empty, {@code .} and {@code ..} segments and NUL characters; with {@code rejectBackslash}, also
     * backslashes.
     *
     * @param name the object name or id
     * @param rejectBackslash whether a backslash is refused too (a separator on some systems)
     * @return the reason, or {@code null} when the name is acceptable
     */
    static String whyUnsafe(String name, boolean rejectBackslash) {
        if (name.isEmpty()) {
            return "it is empty";
        }
        if (name.indexOf('\0') >= 0) {
            return "it contains a NUL character";
        }
        if (rejectBackslash && name.indexOf('\\') >= 0) {
            return "it contains a backslash";
        }
        if (name.startsWith("/")) {
            return "it is an absolute path";
        }
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty()) {
                return "it contains an empty path segment";
            }
            if (segment.equals(".") || segment.equals("..")) {
                return "it contains a '" + segment + "' path segment";
            }
        }
        return null;
    }
}
