package dev.ingest.core.records;

import dev.ingest.api.DataRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The wire form of a chunk of records: one NATS message carries many records of one workflow.
 *
 * <pre>
 * chunk   := "IR1" attrs(common) varint(count) record*
 * record  := zigzag(micros - previous micros) attrs(own) varint(length) bytes
 * attrs   := varint(n) (string(key) string(value))*
 * string  := varint(length) utf8
 * </pre>
 *
 * Attributes whose value is the same in every record of the chunk (a file's name) are written once, as common
 * attributes; times are written as differences in microseconds. Thread-safe (stateless).
 */
public final class ChunkCodec {

    private static final byte[] MAGIC = {'I', 'R', '1'};
    /** Bytes of framing a record may need beyond its data and attributes, at most. */
    static final int RECORD_OVERHEAD = 32;

    private ChunkCodec() {
    }

    /**
     * Encodes records.
     *
     * @param records the records, at least one
     * @return the message body
     */
    public static byte[] encode(List<DataRecord> records) {
        Map<String, String> common = common(records);
        Out out = new Out(estimate(records));
        out.bytes(MAGIC);
        out.attrs(common, Map.of());
        out.varint(records.size());
        long previous = 0;
        for (DataRecord r : records) {
            long micros = micros(r.time());
            out.varlong(zigzag(micros - previous));
            previous = micros;
            out.attrs(r.attributes(), common);
            out.varint(r.data().length);
            out.bytes(r.data());
        }
        return out.toArray();
    }

    /**
     * The encoded size of one record, at most (without the chunk's common attributes).
     *
     * @param r a record
     * @return bytes
     */
    public static int sizeOf(DataRecord r) {
        int n = r.data().length + RECORD_OVERHEAD;
        for (Map.Entry<String, String> e : r.attributes().entrySet()) {
            n += 10 + e.getKey().length() * 3 + e.getValue().length() * 3;
        }
        return n;
    }

    /**
     * Whether a message body is a chunk of records.
     *
     * @param body a message body
     * @return true if it starts like one
     */
    public static boolean isChunk(byte[] body) {
        return body.length >= 3 && body[0] == MAGIC[0] && body[1] == MAGIC[1] && body[2] == MAGIC[2];
    }

    /**
     * Decodes a chunk.
     *
     * @param body the message body
     * @return the records, in order
     * @throws IllegalArgumentException if the body is not a well-formed chunk
     */
    public static List<DataRecord> decode(byte[] body) {
        return decode(body, true);
    }

    /**
     * Decodes a chunk, with or without the records' attributes. Without, the attributes are checked as well formed
     * but left out (every record has none): for a batch that uses no attribute, which is cheaper.
     *
     * @param body the message body
     * @param attributes whether to decode the attributes
     * @return the records, in order
     * @throws IllegalArgumentException if the body is not a well-formed chunk
     */
    public static List<DataRecord> decode(byte[] body, boolean attributes) {
        if (!isChunk(body)) {
            throw new IllegalArgumentException("not a chunk of records (no IR1 header)");
        }
        In in = new In(body, 3);
        try {
            Map<String, String> common = attributes ? in.attrs(Map.of()) : in.skipAttrs();
            int count = in.varint();
            if (count < 0 || count > body.length) {
                throw new IllegalArgumentException("impossible record count " + count);
            }
            List<DataRecord> out = new ArrayList<>(Math.min(count, 1 << 16));
            long micros = 0;
            for (int i = 0; i < count; i++) {
                micros += unzigzag(in.varlong());
                Map<String, String> attrs = attributes ? in.attrs(common) : in.skipAttrs();
                int length = in.varint();
                byte[] data = in.bytes(length);
                out.add(new DataRecord(data, Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                        Math.floorMod(micros, 1_000_000L) * 1000), attrs));
            }
            if (in.pos != body.length) {
                throw new IllegalArgumentException((body.length - in.pos) + " bytes after the last record");
            }
            return out;
        } catch (ArrayIndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("truncated chunk of records", e);
        }
    }

    private static Map<String, String> common(List<DataRecord> records) {
        if (records.isEmpty() || records.get(0).attributes().isEmpty()) {
            return Map.of();
        }
        Map<String, String> first = records.get(0).attributes();
        String[] keys = first.keySet().toArray(new String[0]);
        String[] values = new String[keys.length];
        for (int k = 0; k < keys.length; k++) {
            values[k] = first.get(keys[k]);
        }
        int left = keys.length;
        for (int i = 1; i < records.size() && left > 0; i++) {
            Map<String, String> a = records.get(i).attributes();
            if (a == first) {
                continue;
            }
            for (int k = 0; k < keys.length; k++) {
                if (values[k] != null && !values[k].equals(a.get(keys[k]))) {
                    values[k] = null;
                    left--;
                }
            }
        }
        Map<String, String> common = new HashMap<>();
        for (int k = 0; k < keys.length; k++) {
            if (values[k] != null) {
                common.put(keys[k], values[k]);
            }
        }
        return common;
    }

    private static int estimate(List<DataRecord> records) {
        long n = 16;
        for (DataRecord r : records) {
            n += r.data().length + 16;
        }
        return (int) Math.min(n, Integer.MAX_VALUE - 16);
    }

    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }

    private static long zigzag(long n) {
        return (n << 1) ^ (n >> 63);
    }

    private static long unzigzag(long n) {
        return (n >>> 1) ^ -(n & 1);
    }

    /** A growable byte buffer. */
    private static final class Out {
        private byte[] buf;
        private int len;

        Out(int size) {
            buf = new byte[Math.max(64, size)];
        }

        private void ensure(int more) {
            if (len + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
            }
        }

        void bytes(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
        }

        void varint(int v) {
            varlong(v & 0xffffffffL);
        }

        void varlong(long v) {
            ensure(10);
            while ((v & ~0x7fL) != 0) {
                buf[len++] = (byte) ((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            buf[len++] = (byte) v;
        }

        void string(String s) {
            int n = s.length();
            if (n < 0x80) { // ASCII is written as it is, without an array of its own
                ensure(n + 1);
                int at = len;
                buf[len++] = (byte) n;
                for (int i = 0; i < n; i++) {
                    char c = s.charAt(i);
                    if (c >= 0x80) {
                        len = at;
                        break;
                    }
                    buf[len++] = (byte) c;
                }
                if (len != at) {
                    return;
                }
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varint(b.length);
            bytes(b);
        }

        void attrs(Map<String, String> attrs, Map<String, String> common) {
            if (attrs.isEmpty()) {
                varint(0);
                return;
            }
            int at = len;
            ensure(1);
            len++; // the count, written below: one byte when below 128, else moved
            int n = 0;
            for (Map.Entry<String, String> e : attrs.entrySet()) {
                if (!e.getValue().equals(common.get(e.getKey()))) {
                    n++;
                    string(e.getKey());
                    string(e.getValue());
                }
            }
            if (n < 0x80) {
                buf[at] = (byte) n;
            } else {
                byte[] rest = Arrays.copyOfRange(buf, at + 1, len);
                len = at;
                varint(n);
                bytes(rest);
            }
        }

        byte[] toArray() {
            return Arrays.copyOf(buf, len);
        }
    }

    /** A reader over a chunk. */
    private static final class In {
        private final byte[] buf;
        private int pos;

        In(byte[] buf, int pos) {
            this.buf = buf;
            this.pos = pos;
        }

        long varlong() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte b = buf[pos++];
                v |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("malformed number in a chunk of records");
        }

        int varint() {
            long v = varlong();
            if (v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("length " + v + " too large in a chunk of records");
            }
            return (int) v;
        }

        byte[] bytes(int n) {
            if (n > buf.length - pos) {
                throw new IllegalArgumentException("truncated chunk of records");
            }
            byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
            pos += n;
            return b;
        }

        String string() {
            int n = varint();
            if (n > buf.length - pos) {
                throw new IllegalArgumentException("truncated chunk of records");
            }
            String s = new String(buf, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        Map<String, String> attrs(Map<String, String> common) {
            int n = varint();
            if (n == 0) {
                return common;
            }
            if (n > buf.length) {
                throw new IllegalArgumentException("impossible attribute count " + n);
            }
            if (n == 1 && common.size() <= 2) { // the usual case (a line's offset): an immutable map at once
                String key = string();
                String value = string();
                if (common.isEmpty()) {
                    return Map.of(key, value);
                }
                if (!common.containsKey(key)) {
                    Iterator<Map.Entry<String, String>> it = common.entrySet().iterator();
                    Map.Entry<String, String> a = it.next();
                    if (common.size() == 1) {
                        return Map.of(a.getKey(), a.getValue(), key, value);
                    }
                    Map.Entry<String, String> b = it.next();
                    return Map.of(a.getKey(), a.getValue(), b.getKey(), b.getValue(), key, value);
                }
                Map<String, String> out = new HashMap<>(common);
                out.put(key, value);
                return Map.copyOf(out);
            }
            Map<String, String> out = new LinkedHashMap<>(common);
            for (int i = 0; i < n; i++) {
                out.put(string(), string());
            }
            return Map.copyOf(out);
        }

        /** Reads attributes, checking their form, and gives none. */
        Map<String, String> skipAttrs() {
            int n = varint();
            if (n > buf.length) {
                throw new IllegalArgumentException("impossible attribute count " + n);
            }
            for (int i = 0; i < 2 * n; i++) {
                int length = varint();
                if (length > buf.length - pos) {
                    throw new IllegalArgumentException("truncated chunk of records");
                }
                pos += length;
            }
            return Map.of();
        }
    }
}
