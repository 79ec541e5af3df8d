package dev.ingest.core.engine;

/**
 * Compares names by their UTF-8 bytes, the order S3 lists keys in (and the order of Unicode code points).
 * {@link String#compareTo} differs from it only for names with characters beyond U+FFFF.
 */
final class Utf8Order {

    private Utf8Order() {
    }

    /**
     * @param a a name
     * @param b another
     * @return negative, zero or positive as {@code a} sorts before, with or after {@code b} by UTF-8 bytes
     */
    static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
