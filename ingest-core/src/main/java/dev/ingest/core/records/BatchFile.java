package dev.ingest.core.records;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.github.luben.zstd.ZstdOutputStream;
import dev.ingest.api.DataRecord;
import dev.ingest.core.config.BatchConfig;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * One batch being written: records formatted ({@code lines} or {@code ndjson}) and compressed ({@code gzip},
 * {@code zstd} or {@code none}) into a spool file as they come, so memory stays bounded whatever the batch's size.
 * Counts the bytes as written to the file (after compression) and hashes them.
 *
 * <p>Not thread-safe. Lifecycle: {@link #append} records, {@link #finish()}, read the file, {@link #close()} (deletes
 * the spool file).
 */
public final class BatchFile implements Closeable {

    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] NEWLINE = {'\n'};

    private final Path spool;
    private final BatchConfig.Format format;
    private final Counting counting;
    private final OutputStream out;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private long records;
    private long dataBytes;
    private boolean finished;

    /**
     * Creates the spool file.
     *
     * @param dir where spool files go
     * @param config the batch settings
     * @throws IOException if the file cannot be created
     */
    public BatchFile(Path dir, BatchConfig config) throws IOException {
        this.spool = Files.createTempFile(dir, "ingest-batch-", ".tmp");
        this.format = config.format();
        try {
            // Bytes are counted as the compressor produces them (for none: as they are handed over), before the
            // buffer that batches writes to the disk, so that maxBytes sees the object's size as it grows.
            this.counting = new Counting(new java.io.BufferedOutputStream(Files.newOutputStream(spool), 64 * 1024));
            // Records reach a compressor through a buffer of 64 KiB: a compressor called per record of 100 bytes
            // spends more on the calls than on compressing (the count then lags the records by that buffer at most,
            // which compressors hold back anyway).
            this.out = switch (config.compression()) {
                case GZIP -> new java.io.BufferedOutputStream(new GZIPOutputStream(counting, 64 * 1024) {
                    {
                        def.setLevel(Deflater.DEFAULT_COMPRESSION); // level 6, as gzip -6
                    }
                }, 64 * 1024);
                case ZSTD -> new java.io.BufferedOutputStream(new ZstdOutputStream(counting, 3), 64 * 1024);
                case NONE -> counting;
            };
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(spool);
            throw e;
        }
    }

    /**
     * Writes one record.
     *
     * @param r the record
     * @throws IOException if the spool cannot be written
     */
    public void append(DataRecord r) throws IOException {
        if (format == BatchConfig.Format.LINES) {
            out.write(r.data());
            out.write(NEWLINE);
        } else {
            line.reset();
            ndjson(r, line);
            line.write('\n');
            line.writeTo(out);
        }
        records++;
        dataBytes += r.data().length;
    }

    /** Ends the compressed stream; the file is then complete. */
    public void finish() throws IOException {
        if (!finished) {
            finished = true;
            out.close();
        }
    }

    /** @return the bytes written to the file so far (compressed) */
    public long written() {
        return counting.count;
    }

    /** @return the records written */
    public long records() {
        return records;
    }

    /** @return the records' data bytes, before formatting and compression */
    public long dataBytes() {
        return dataBytes;
    }

    /** @return the spool file */
    public Path file() {
        return spool;
    }

    /** @return the SHA-256 of the file's bytes, in hex; after {@link #finish()} */
    public String sha256() {
        return HexFormat.of().formatHex(counting.digest.digest());
    }

    /** Deletes the spool file. Idempotent. */
    @Override
    public void close() throws IOException {
        try {
            if (!finished) {
                finished = true;
                out.close();
            }
        } catch (IOException e) {
            // being discarded
        } finally {
            Files.deleteIfExists(spool);
        }
    }

    /**
     * Writes a record as one JSON document: a record that is a JSON object as it is, made compact, with the record's
     * attributes added as an object under {@code attributes} when it has attributes and the object has no field of
     * that name (an attribute that only repeats a top-level field of the object, the same name with a string, number
     * or boolean of the same text, is left out: a database row's columns are both); any other record as {@code {"timestamp": <its time, RFC 3339>, "message": <its text>, <its
     * attributes>}}. Text that is not valid UTF-8 is written with replacement characters in {@code message}, and byte
     * for byte, base64, in {@code message_base64}: nothing is lost.
     */
    public static void ndjson(DataRecord r, OutputStream into) throws IOException {
        byte[] data = r.data();
        if (looksLikeObject(data)) {
            ByteArrayOutputStream compact = new ByteArrayOutputStream(data.length + 64);
            try (JsonParser p = JSON.createParser(data); JsonGenerator g = JSON.createGenerator(compact)) {
                if (p.nextToken() == JsonToken.START_OBJECT) {
                    g.writeStartObject();
                    boolean hasAttributes = false;
                    Map<String, String> attributes = r.attributes();
                    java.util.Set<String> repeated = null; // attributes a field of the object already says
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.getCurrentName();
                        hasAttributes |= field.equals("attributes");
                        g.writeFieldName(field);
                        JsonToken value = p.nextToken();
                        String attribute = attributes.isEmpty() ? null : attributes.get(field);
                        if (attribute != null && value.isScalarValue() && value != JsonToken.VALUE_NULL
                                && attribute.equals(p.getText())) {
                            if (repeated == null) {
                                repeated = new java.util.HashSet<>();
                            }
                            repeated.add(field);
                        }
                        g.copyCurrentStructureExact(p); // decimals as written (12.50 stays 12.50), not as doubles
                    }
                    int left = attributes.size() - (repeated == null ? 0 : repeated.size());
                    if (!hasAttributes && left > 0) {
                        g.writeObjectFieldStart("attributes");
                        for (Map.Entry<String, String> a : new java.util.TreeMap<>(attributes).entrySet()) {
                            if (repeated == null || !repeated.contains(a.getKey())) {
                                g.writeStringField(a.getKey(), a.getValue());
                            }
                        }
                        g.writeEndObject();
                    }
                    g.writeEndObject();
                    g.flush();
                    if (p.nextToken() == null) {
                        compact.writeTo(into);
                        return;
                    }
                }
            } catch (IOException e) {
                // not JSON after all: written as a message below
            }
        }
        try (JsonGenerator g = JSON.createGenerator(into)) {
            g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
            g.writeStartObject();
            g.writeStringField("timestamp", DateTimeFormatter.ISO_INSTANT.format(r.time()));
            String text = utf8(data);
            if (text != null) {
                g.writeStringField("message", text);
            } else {
                g.writeStringField("message", new String(data, StandardCharsets.UTF_8));
                g.writeStringField("message_base64", Base64.getEncoder().encodeToString(data));
            }
            for (Map.Entry<String, String> a : r.attributes().entrySet()) {
                if (!a.getKey().equals("timestamp") && !a.getKey().equals("message")
                        && !a.getKey().equals("message_base64")) {
                    g.writeStringField(a.getKey(), a.getValue());
                }
            }
            g.writeEndObject();
        }
    }

    private static boolean looksLikeObject(byte[] data) {
        for (byte b : data) {
            if (b == '{') {
                return true;
            }
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return false;
    }

    /** @return the text, or null when the bytes are not valid UTF-8 */
    private static String utf8(byte[] data) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Counts and hashes what reaches the file. */
    private static final class Counting extends FilterOutputStream {
        final MessageDigest digest;
        long count;

        Counting(OutputStream out) {
            super(out);
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            digest.update((byte) b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            digest.update(b, off, len);
            count += len;
        }
    }
}
