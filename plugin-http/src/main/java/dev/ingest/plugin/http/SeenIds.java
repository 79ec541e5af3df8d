package dev.ingest.plugin.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The ids one scan of an HTTP source has handed out, to find items that repeat an id. Compact, as a listing can be
 * long: an id is kept as 128 bits of its SHA-256 (a false match is as likely as a SHA-256 collision), with 64 bits
 * of its item's name and URL (to tell an item listed twice from another object under the same id) and the item's
 * number in the scan: 29 bytes a slot, 40 to 80 bytes per id as the arrays double when three quarters full; at most
 * {@link #LIMIT} ids (about 60 MiB).
 *
 * <p>Not thread-safe: a scan is used by one thread at a time.
 */
final class SeenIds {

    /** Ids kept at most: beyond that, {@link #add} stops remembering new ones. */
    static final int LIMIT = 1 << 20;

    /** What {@link #add} found. */
    enum Seen {
        /** The id is new in this scan. */
        NEW,
        /** The id was handed out before for the same name and URL: the same object, listed twice. */
        SAME_OBJECT,
        /** The id was handed out before for another name or URL. */
        OTHER_OBJECT,
        /** {@link #LIMIT} ids are kept already: the id is not checked. */
        UNCHECKED
    }

    private final MessageDigest sha;
    private long[] hi = new long[1024];
    private long[] lo = new long[1024];
    private long[] object = new long[1024];
    private int[] ordinal = new int[1024];
    private boolean[] used = new boolean[1024];
    private int size;
    private int firstOrdinal;

    SeenIds() {
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /**
     * Records an id handed out as item number {@code n} of the scan, unless it was handed out before.
     *
     * @param id the item's id
     * @param name the item's name
     * @param url the item's URL
     * @param n the item's number in the scan
     * @return what was found
     */
    Seen add(String id, String name, String url, int n) {
        ByteBuffer idHash = ByteBuffer.wrap(digest(id));
        long h = idHash.getLong();
        long l = idHash.getLong();
        long o = ByteBuffer.wrap(digest(name + '\0' + url)).getLong();
        int slot = find(h, l);
        if (used[slot]) {
            firstOrdinal = ordinal[slot];
            return object[slot] == o ? Seen.SAME_OBJECT : Seen.OTHER_OBJECT;
        }
        if (size >= LIMIT) {
            return Seen.UNCHECKED;
        }
        used[slot] = true;
        hi[slot] = h;
        lo[slot] = l;
        object[slot] = o;
        ordinal[slot] = n;
        if (++size * 4 > used.length * 3) {
            grow();
        }
        return Seen.NEW;
    }

    /** @return the item number under which the id that the last {@link #add} found was first handed out */
    int firstOrdinal() {
        return firstOrdinal;
    }

    /** @return how many ids are kept */
    int size() {
        return size;
    }

    private byte[] digest(String text) {
        return sha.digest(text.getBytes(StandardCharsets.UTF_8));
    }

    private int find(long h, long l) {
        int mask = used.length - 1;
        int slot = (int) (h ^ (h >>> 32)) & mask;
        while (used[slot] && (hi[slot] != h || lo[slot] != l)) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void grow() {
        long[] oldHi = hi;
        long[] oldLo = lo;
        long[] oldObject = object;
        int[] oldOrdinal = ordinal;
        boolean[] oldUsed = used;
        int capacity = used.length * 2;
        hi = new long[capacity];
        lo = new long[capacity];
        object = new long[capacity];
        ordinal = new int[capacity];
        used = new boolean[capacity];
        for (int i = 0; i < oldUsed.length; i++) {
            if (oldUsed[i]) {
                int slot = find(oldHi[i], oldLo[i]);
                used[slot] = true;
                hi[slot] = oldHi[i];
                lo[slot] = oldLo[i];
                object[slot] = oldObject[i];
                ordinal[slot] = oldOrdinal[i];
            }
        }
    }

    @Override
    public String toString() {
        return "SeenIds[" + size + " ids]";
    }
}
