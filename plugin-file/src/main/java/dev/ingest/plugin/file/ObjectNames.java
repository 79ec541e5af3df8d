package dev.ingest.plugin.file;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Rules shared by the file source and destination: relative object names, the names of files whose bytes are not
 * valid UTF-8, and the temporary files the destination writes before renaming them into place.
 *
 * <p><b>Names and bytes.</b> On Linux a file name is a string of bytes, an object name a string of characters.
 * Names are read and written as UTF-8 whatever the JVM's locale, working on the bytes of each path (see
 * {@link #relativeName} and {@link #resolve}). A file name whose bytes are not valid UTF-8 (a Latin-1 {@code café}
 * is {@code 63 61 66 E9}) gets a printable object name: each byte that is not part of a valid UTF-8 sequence is
 * written {@code %XX} (upper-case hex) and each {@code %} is written {@code %25}, so that the bytes can be found
 * again ({@link #bytesOf}): {@code caf%E9.txt}. Names that are valid UTF-8 are never changed, so a file really
 * named {@code caf%E9.txt} maps to the same object name; the source then copies the file whose name is valid
 * UTF-8 and reports the other one (see {@link FileTree.Listing#collisions()}).
 */
final class ObjectNames {

    /**
     * The temporary files of {@link FileDestination}: {@code .<filename>.ingest-<16 lower-case hex digits>.tmp}.
     * The file name part may be shortened for very long names, so only the frame is matched; the frame is exact,
     * so that no ordinary file (a user's {@code .notes.ingest-old.tmp}) is taken for one.
     */
    private static final Pattern TEMP_FILE = Pattern.compile("\\..+\\.ingest-[0-9a-f]{16}\\.tmp", Pattern.DOTALL);

    /** The most bytes of the original file name kept in a temporary file name (file names are limited to 255). */
    private static final int MAX_TEMP_NAME_BYTES = 200;

    /** The most bytes a temporary file name adds to the part of the file name it keeps. */
    static final int TEMP_NAME_OVERHEAD = ".".length() + ".ingest-".length() + 16 + ".tmp".length();

    /** The longest file name (one path element) Linux file systems take, in bytes ({@code NAME_MAX}). */
    static final int MAX_FILE_NAME_BYTES = 255;

    /** The longest path Linux takes, in bytes, without the terminating NUL ({@code PATH_MAX - 1}). */
    static final int MAX_PATH_BYTES = 4095;

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

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
        return candidate.startsWith(prefix) && candidate.length() == prefix.length() + 16 + 4
                && isTempFile(candidate);
    }

    /**
     * The number of bytes of the file name part a temporary file name keeps.
     *
     * @param fileName the final file name
     * @return at most {@value #MAX_TEMP_NAME_BYTES}
     */
    static int tempNameKeptBytes(String fileName) {
        return utf8Length(shorten(fileName));
    }

    private static String shorten(String fileName) {
        int bytes = 0;
        int end = 0;
        while (end < fileName.length()) {
            int cp = fileName.codePointAt(end);
            int len = utf8Length(cp);
            if (bytes + len > MAX_TEMP_NAME_BYTES) {
                break;
            }
            bytes += len;
            end += Character.charCount(cp);
        }
        return fileName.substring(0, end);
    }

    private static int utf8Length(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }

    /**
     * @param s a string
     * @return the number of bytes of its UTF-8 form
     */
    static int utf8Length(String s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            bytes += utf8Length(cp);
            i += Character.charCount(cp);
        }
        return bytes;
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

    // -------------------------------------------------------------------------------------------------------------
    // Names and bytes

    /** A relative name as found on disk: the object name, and the raw bytes when they are not valid UTF-8. */
    record Name(String name, byte[] raw) {

        /** @return whether the bytes are not valid UTF-8, so that {@link #name()} is their printable mapping */
        boolean mapped() {
            return raw != null;
        }
    }

    /**
     * The object name of a file found under a directory: its path relative to the directory, elements joined by
     * {@code /}, decoded from the path's bytes as UTF-8, and mapped as the class describes when they are not
     * valid UTF-8.
     *
     * @param root the directory, absolute
     * @param file a file under it, as a listing of the directory returned it
     * @return the name
     */
    static Name relativeName(Path root, Path file) {
        Path relative = root.relativize(file);
        String joined = slashed(relative);
        if (isAscii(joined) || jnuIsUtf8() && joined.indexOf('\uFFFD') < 0) {
            return new Name(joined, null); // Path.toString() decoded the bytes exactly
        }
        // Path.toString() replaced bytes it could not decode, or decoded them with another charset than UTF-8:
        // read the bytes themselves. toUri() is the JDK's only lossless view of a path's bytes: %XX escapes.
        String base = root.toUri().getRawPath();
        String full = file.toUri().getRawPath();
        if (!base.endsWith("/")) {
            base += "/";
        }
        if (full.endsWith("/")) {
            full = full.substring(0, full.length() - 1);
        }
        if (!full.startsWith(base)) {
            throw new IllegalStateException(file + " is not under " + root);
        }
        byte[] raw = unescapeUri(full.substring(base.length()));
        String decoded = mapBytes(raw);
        return isUtf8(raw) ? new Name(decoded, null) : new Name(decoded, raw);
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

    /**
     * The path of a relative name under a directory, with the right bytes whatever the JVM's locale.
     *
     * @param dir the directory, absolute
     * @param name a relative name with {@code /} separators, checked with {@link #whyUnsafe}
     * @param raw the name's bytes when they are not valid UTF-8 (a {@link Name#mapped() mapped} name), else
     *     {@code null}: the name is then written as UTF-8
     * @return the path
     * @throws java.nio.file.InvalidPathException if the name cannot be a path
     */
    static Path resolve(Path dir, String name, byte[] raw) {
        if (raw == null && (isAscii(name) || jnuIsUtf8())) {
            return dir.resolve(name);
        }
        byte[] bytes = raw != null ? raw : name.getBytes(StandardCharsets.UTF_8);
        StringBuilder uri = new StringBuilder("file://").append(dir.toUri().getRawPath());
        if (uri.charAt(uri.length() - 1) != '/') {
            uri.append('/');
        }
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c == 0) {
                throw new java.nio.file.InvalidPathException(name, "it contains a NUL byte");
            }
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "/-._~".indexOf(c) >= 0)) {
                uri.append((char) c);
            } else {
                uri.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return Path.of(URI.create(uri.toString()));
    }

    /**
     * The printable name of some bytes: the bytes decoded as UTF-8 when they are valid UTF-8; otherwise each
     * byte outside a valid UTF-8 sequence as {@code %XX} and each {@code %} as {@code %25}.
     *
     * @param raw the bytes of a file name or relative path
     * @return the name
     */
    static String mapBytes(byte[] raw) {
        if (isUtf8(raw)) {
            return new String(raw, StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder(raw.length + 16);
        int i = 0;
        while (i < raw.length) {
            int n = sequenceLength(raw, i);
            if (n == 0) {
                int c = raw[i] & 0xff;
                sb.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
                i++;
            } else if (n == 1 && raw[i] == '%') {
                sb.append("%25");
                i++;
            } else {
                sb.append(new String(raw, i, n, StandardCharsets.UTF_8));
                i += n;
            }
        }
        return sb.toString();
    }

    /**
     * The bytes a mapped name stands for: the reverse of {@link #mapBytes} for bytes that are not valid UTF-8.
     *
     * @param mapped a name made by {@link #mapBytes}
     * @return its bytes
     * @throws IllegalArgumentException if a {@code %} is not followed by two hex digits
     */
    static byte[] bytesOf(String mapped) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(mapped.length());
        for (int i = 0; i < mapped.length(); ) {
            char c = mapped.charAt(i);
            if (c == '%') {
                if (i + 2 >= mapped.length()) {
                    throw new IllegalArgumentException("'%' not followed by two hex digits in '" + mapped + "'");
                }
                int hi = Character.digit(mapped.charAt(i + 1), 16);
                int lo = Character.digit(mapped.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("'%' not followed by two hex digits in '" + mapped + "'");
                }
                out.write(hi << 4 | lo);
                i += 3;
            } else {
                int cp = mapped.codePointAt(i);
                byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
                i += Character.charCount(cp);
            }
        }
        return out.toByteArray();
    }

    /**
     * @param raw some bytes
     * @return whether they are valid UTF-8 (no overlong forms, no surrogates, nothing beyond U+10FFFF)
     */
    static boolean isUtf8(byte[] raw) {
        for (int i = 0; i < raw.length; ) {
            int n = sequenceLength(raw, i);
            if (n == 0) {
                return false;
            }
            i += n;
        }
        return true;
    }

    /** The length of the valid UTF-8 sequence at {@code i} (RFC 3629), or 0 if none starts there. */
    private static int sequenceLength(byte[] b, int i) {
        int b0 = b[i] & 0xff;
        if (b0 < 0x80) {
            return 1;
        }
        int lo = 0x80;
        int hi = 0xbf;
        int n;
        if (b0 >= 0xc2 && b0 <= 0xdf) {
            n = 2;
        } else if (b0 >= 0xe0 && b0 <= 0xef) {
            n = 3;
            if (b0 == 0xe0) {
                lo = 0xa0; // no overlong forms
            } else if (b0 == 0xed) {
                hi = 0x9f; // no surrogates
            }
        } else if (b0 >= 0xf0 && b0 <= 0xf4) {
            n = 4;
            if (b0 == 0xf0) {
                lo = 0x90;
            } else if (b0 == 0xf4) {
                hi = 0x8f; // nothing beyond U+10FFFF
            }
        } else {
            return 0;
        }
        if (i + n > b.length) {
            return 0;
        }
        int b1 = b[i + 1] & 0xff;
        if (b1 < lo || b1 > hi) {
            return 0;
        }
        for (int k = 2; k < n; k++) {
            int bk = b[i + k] & 0xff;
            if (bk < 0x80 || bk > 0xbf) {
                return 0;
            }
        }
        return n;
    }

    private static byte[] unescapeUri(String rawPath) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(rawPath.length());
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c == '%' && i + 2 < rawPath.length()) {
                out.write(Character.digit(rawPath.charAt(i + 1), 16) << 4 | Character.digit(rawPath.charAt(i + 2), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Whether the JVM turns paths into strings and back as UTF-8 (it follows the locale it was started in). */
    private static boolean jnuIsUtf8() {
        String jnu = System.getProperty("sun.jnu.encoding", "");
        return jnu.equalsIgnoreCase("UTF-8") || jnu.equalsIgnoreCase("UTF8");
    }
}
