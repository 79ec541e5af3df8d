package dev.ingest.plugin.file;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The checkpoint of the tail mode: one entry per watched file, under its identity ({@code <dev>:<ino>}), and a marker
 * entry ({@value #MARKER}) that says the workflow has started before (so {@code readFrom} applies only to the files
 * that were there the first time).
 *
 * <p>An entry holds the file's identity, the offset of the next byte not yet handed over, where the line in progress
 * began and how many parts of it were handed over (a line longer than {@code maxLineBytes}), a fingerprint of the
 * file's first bytes (a SHA-256 of the first {@value #FINGERPRINT_BYTES} bytes, or of fewer when fewer were handed
 * over yet) and the file's name when it was last read. A few dozen bytes and the name.
 */
final class TailCheckpoint {

    /** The key of the marker entry. Entries of files have a {@code :} in their key; this one has none. */
    static final String MARKER = "tail";
    /** How many of a file's first bytes its fingerprint covers at most. */
    static final int FINGERPRINT_BYTES = 1024;
    private static final int VERSION = 1;

    private TailCheckpoint() {
    }

    /**
     * One file's entry.
     *
     * @param dev the device of the file
     * @param ino its inode
     * @param offset the offset of the first byte not yet handed over
     * @param lineStart the offset of the first byte of the line that byte belongs to ({@code < offset} when parts of a
     *     long line were handed over)
     * @param parts parts of that line handed over
     * @param fingerprintLength how many of the file's first bytes the fingerprint covers
     * @param fingerprint SHA-256 of those bytes (32 bytes)
     * @param name the file's name relative to the source directory when it was last read
     */
    record Entry(long dev, long ino, long offset, long lineStart, int parts, int fingerprintLength, byte[] fingerprint,
                 String name) {

        Entry {
            if (fingerprint.length != 32) {
                throw new IllegalArgumentException("a fingerprint has 32 bytes");
            }
        }

        /** @return the entry's key */
        String key() {
            return TailCheckpoint.key(dev, ino);
        }
    }

    /**
     * @param dev a file's device
     * @param ino its inode
     * @return the key of its entry
     */
    static String key(long dev, long ino) {
        return dev + ":" + ino;
    }

    /**
     * @param key an entry's key
     * @return whether it is the entry of a file (not the marker)
     */
    static boolean isFile(String key) {
        return key.indexOf(':') > 0;
    }

    static byte[] encode(Entry e) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(96 + e.name().length());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeLong(e.dev());
            out.writeLong(e.ino());
            out.writeLong(e.offset());
            out.writeLong(e.lineStart());
            out.writeInt(e.parts());
            out.writeShort(e.fingerprintLength());
            out.write(e.fingerprint());
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            out.writeInt(name.length);
            out.write(name);
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        return bytes.toByteArray();
    }

    /**
     * @param value an entry's bytes
     * @return the entry
     * @throws IllegalArgumentException if the bytes are not an entry of this version
     */
    static Entry decode(byte[] value) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(value))) {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("unknown version " + version);
            }
            long dev = in.readLong();
            long ino = in.readLong();
            long offset = in.readLong();
            long lineStart = in.readLong();
            int parts = in.readInt();
            int fpLength = in.readUnsignedShort();
            byte[] fp = new byte[32];
            in.readFully(fp);
            int nameLength = in.readInt();
            if (nameLength < 0 || nameLength > in.available()) {
                throw new IllegalArgumentException("bad name length " + nameLength);
            }
            byte[] name = new byte[nameLength];
            in.readFully(name);
            if (offset < 0 || lineStart < 0 || lineStart > offset || parts < 0 || fpLength > FINGERPRINT_BYTES
                    || fpLength > offset || in.available() != 0) {
                throw new IllegalArgumentException("inconsistent values");
            }
            return new Entry(dev, ino, offset, lineStart, parts, fpLength, fp, new String(name, StandardCharsets.UTF_8));
        } catch (EOFException e) {
            throw new IllegalArgumentException("truncated", e);
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** @return the value of the marker entry: a version and when the workflow first started */
    static byte[] marker(long epochMillis) {
        return ByteBuffer.allocate(9).put((byte) VERSION).putLong(epochMillis).array();
    }

    /**
     * The fingerprint of a file's first bytes.
     *
     * @param channel the open file
     * @param length how many bytes, at most {@value #FINGERPRINT_BYTES}
     * @return their SHA-256, or null when the file has fewer bytes now (it was truncated or replaced)
     * @throws IOException if the file cannot be read
     */
    static byte[] fingerprint(FileChannel channel, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (channel.read(buf, buf.position()) < 0) {
                return null;
            }
        }
        return sha256(buf.array(), length);
    }

    static byte[] sha256(byte[] data, int length) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(data, 0, length);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the fingerprint of nothing: what an entry of a file with no byte handed over carries */
    static byte[] emptyFingerprint() {
        return sha256(new byte[0], 0);
    }

    static boolean sameFingerprint(byte[] a, byte[] b) {
        return a != null && b != null && MessageDigest.isEqual(a, b);
    }
}
