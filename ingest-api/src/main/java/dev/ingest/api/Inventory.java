package dev.ingest.api;

import java.io.Closeable;
import java.io.IOException;
import java.util.Optional;

/**
 * One pass over what a destination holds, from {@link Storage#inventory()}.
 *
 * <p>Entries come in <b>ascending order of name by UTF-8 bytes</b> (the order S3 lists keys in; for names
 * without characters beyond U+FFFF it is also {@link String#compareTo} order), each name at most once. The
 * enqueuer walks this listing beside the source's, so that it need not hold either in memory; where the order does
 * not hold, it falls back to asking {@link Storage#stat} for the objects concerned, so an inventory out of order
 * costs speed, never an object.
 *
 * <p>Lifecycle: obtained, read with {@link #next()} until it is empty or the caller is done, then closed once.
 * Thread-safety: used by one thread at a time.
 */
public interface Inventory extends Closeable {

    /**
     * The next entry of the listing.
     *
     * @return the entry, or empty when the listing is complete
     * @throws IOException if the destination cannot be listed now; the caller stops using this inventory
     */
    Optional<Listed> next() throws IOException;

    /**
     * The order of an inventory's names: ascending UTF-8 bytes, which is the order of Unicode code points and of
     * S3's keys. {@link String#compareTo} differs from it only for names with characters beyond U+FFFF.
     *
     * @param a a name
     * @param b another
     * @return negative, zero or positive as {@code a} sorts before, with or after {@code b}
     */
    static int compareNames(String a, String b) {
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

    /**
     * Releases what the listing holds. Idempotent. The default does nothing.
     *
     * @throws IOException if releasing failed; the caller logs it
     */
    @Override
    default void close() throws IOException {
    }
}
