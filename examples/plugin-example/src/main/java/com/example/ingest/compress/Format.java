package com.example.ingest.compress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/** The compression formats of the plugin, both implemented by Apache Commons Compress. */
enum Format {

    /** gzip (RFC 1952), {@code .gz}: fast; the trailer records the original size (modulo 2^32). */
    GZIP("gzip", ".gz", 6) {
        @Override
        OutputStream compress(OutputStream out, int level, String fileName) throws IOException {
            GzipParameters parameters = new GzipParameters();
            parameters.setCompressionLevel(level);
            if (StandardCharsets.ISO_8859_1.newEncoder().canEncode(fileName)) {
                parameters.setFileName(fileName); // the header's FNAME is ISO-8859-1; gunzip -N restores it
            }
            parameters.setModificationTime(System.currentTimeMillis());
            return new GzipCompressorOutputStream(out, parameters);
        }

        @Override
        InputStream decompress(InputStream in) throws IOException {
            // The builder comes from commons-io, a dependency of commons-compress bundled alongside it.
            return GzipCompressorInputStream.builder().setInputStream(in).setDecompressConcatenated(true).get();
        }
    },

    /** bzip2, {@code .bz2}: smaller, much slower; records no size. */
    BZIP2("bzip2", ".bz2", 9) {
        @Override
        OutputStream compress(OutputStream out, int level, String fileName) throws IOException {
            return new BZip2CompressorOutputStream(out, level);
        }

        @Override
        InputStream decompress(InputStream in) throws IOException {
            return new BZip2CompressorInputStream(in, true);
        }
    };

    private final String key;
    private final String extension;
    private final int defaultLevel;

    Format(String key, String extension, int defaultLevel) {
        this.key = key;
        this.extension = extension;
        this.defaultLevel = defaultLevel;
    }

    /** @return the name used in configuration, {@code gzip} */
    String key() {
        return key;
    }

    /** @return the file name extension, {@code .gz} */
    String extension() {
        return extension;
    }

    /** @return the level used when none is configured */
    int defaultLevel() {
        return defaultLevel;
    }

    /**
     * Wraps a stream so that what is written to it is compressed. Closing the result finishes the format and
     * closes {@code out}.
     *
     * @param out where the compressed bytes go
     * @param level 1 (fastest) to 9 (smallest); for bzip2 the block size in units of 100 kB
     * @param fileName the object's file name, recorded where the format has room for it
     * @return the compressing stream
     * @throws IOException if writing the header fails
     */
    abstract OutputStream compress(OutputStream out, int level, String fileName) throws IOException;

    /**
     * Wraps a stream so that reading it decompresses. Reads and checks the header at once.
     *
     * @param in the compressed bytes
     * @return the decompressing stream; closing it closes {@code in}
     * @throws IOException if the header is not this format's (or reading it fails)
     */
    abstract InputStream decompress(InputStream in) throws IOException;

    /**
     * @param key a configured format name, any case
     * @return the format, or {@code null} if unknown
     */
    static Format of(String key) {
        for (Format f : values()) {
            if (f.key.equals(key.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        return null;
    }

    /** @return the configurable names, for messages: {@code gzip, bzip2} */
    static String keys() {
        return Arrays.stream(values()).map(Format::key).collect(Collectors.joining(", "));
    }
}
