package dev.ingest.plugin.file;

import dev.ingest.api.NameFilter;
import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.DataRecord;
import dev.ingest.api.RecordContext;
import dev.ingest.api.RecordSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file plugin's tail mode ({@code tail: true}): follows every selected file under a directory as it grows and
 * hands over each complete line as a record, with the attributes {@code file} (the path relative to the directory,
 * named as the object source names it) and {@code offset} (of the line's first byte).
 *
 * <ul>
 *   <li><b>Identity.</b> A file is followed by its device and inode, whatever its name; its checkpoint entry also
 *   holds a fingerprint of its first bytes ({@link TailCheckpoint}), so that a file that reuses the inode of a deleted
 *   one is read from its start rather than from the old file's offset.</li>
 *   <li><b>Rotation.</b> A followed file is kept open. Renamed to a name that is no longer selected, moved out of the
 *   directory, or deleted, it is read to its end, and closed once it has not grown for {@code rotateWait} (counted
 *   from its last growth, and at least from when the rotation was noticed); a line it ends with that has no line
 *   break is then handed over whole. A new file under the old name is read from its start.</li>
 *   <li><b>Truncation.</b> A file shorter than its offset, or whose first bytes changed, was truncated (copy-truncate)
 *   or rewritten: it is read again from its start, with a WARN log.</li>
 *   <li><b>Partial lines.</b> A last line without its line break is not handed over until the break arrives (or the
 *   file is rotated away); the checkpoint stays before it, so a restart reads it again. A line longer than
 *   {@code maxLineBytes} becomes several records of that size, with attribute {@code part} (1, 2, ...).</li>
 *   <li><b>Checkpoints.</b> Each read's lines go to {@link RecordContext#emit} with the new entries of the files it
 *   advanced; the engine commits them once the lines are durable, so a restart resumes after the last line stored.
 *   A file that is gone leaves the checkpoint.</li>
 * </ul>
 *
 * <p>Memory does not depend on file sizes or line counts: a file is read at its offset in a buffer of
 * {@code maxLineBytes + 1} bytes (at least 256 KiB), and what one read yields is handed over before the next.
 *
 * <p>Lifecycle: one instance per workflow; {@link #run} is called on one thread at a time and starts from the
 * committed checkpoint each time; {@link #close()} releases nothing that {@code run} did not already release.
 */
final class TailSource implements RecordSource {

    private static final Logger LOG = LoggerFactory.getLogger(TailSource.class);
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    /** Records handed over in one emit, at most (by data bytes). */
    static final int EMIT_BYTES = 1 << 20;
    /** Bytes read from one file before the others get their turn. */
    static final int ROUND_BYTES = 8 << 20;
    /** Files listed by name in the status, at most. */
    static final int STATUS_FILES = 200;
    private static final long STATUS_NANOS = 1_000_000_000L;

    /** The settings of a tail source. */
    record Settings(String name, Path root, boolean recursive, NameFilter selection, boolean fromEnd,
                    Duration pollInterval, Duration rotateWait, long maxLineBytes) {
        Settings {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(root, "root");
            Objects.requireNonNull(selection, "selection");
            Objects.requireNonNull(pollInterval, "pollInterval");
            Objects.requireNonNull(rotateWait, "rotateWait");
        }
    }

    private final Settings settings;

    /**
     * @param settings checked by the provider
     * @throws IOException if the directory's real path cannot be determined
     */
    TailSource(Settings settings) throws IOException {
        Path real = settings.root().toRealPath();
        this.settings = new Settings(settings.name(), real, settings.recursive(), settings.selection(),
                settings.fromEnd(), settings.pollInterval(), settings.rotateWait(), settings.maxLineBytes());
    }

    @Override
    public void run(RecordContext context) throws IOException, InterruptedException {
        try (Tailer tailer = new Tailer(settings, context)) {
            tailer.run();
        }
    }

    /** Nothing to release: each run closes the files it opened. Idempotent. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "TailSource[" + settings.name() + ": " + settings.root() + "]";
    }

    // -------------------------------------------------------------------------------------------------------------

    /** A file followed by one run. */
    private static final class Watched {
        final Object fileKey;
        final long dev;
        final long ino;
        final String key;
        final FileChannel channel;
        Path path;
        String name;
        /** Whether the file was at a selected path at the last look (else rotated away). */
        boolean inPlace;
        /** The first byte not handed over. */
        long offset;
        /** The first byte of the line in progress ({@code < offset} after parts of a long line). */
        long lineStart;
        int parts;
        /** Bytes up to here were looked at: the file has grown when it is longer. */
        long examined;
        /** The size at the last look. */
        long size;
        int fingerprintLength;
        byte[] fingerprint;
        long modifiedMillis;
        long lastGrowthNanos;
        long rotatedAtNanos;
        boolean seen;

        Watched(Object fileKey, long dev, long ino, FileChannel channel, Path path, String name) {
            this.fileKey = fileKey;
            this.dev = dev;
            this.ino = ino;
            this.key = TailCheckpoint.key(dev, ino);
            this.channel = channel;
            this.path = path;
            this.name = name;
            this.fingerprint = TailCheckpoint.emptyFingerprint();
        }

        TailCheckpoint.Entry entry() {
            return new TailCheckpoint.Entry(dev, ino, offset, lineStart, parts, fingerprintLength, fingerprint, name);
        }

        void restart() {
            offset = 0;
            lineStart = 0;
            parts = 0;
            examined = 0;
            fingerprintLength = 0;
            fingerprint = TailCheckpoint.emptyFingerprint();
        }
    }

    /** One run of the source: the files it follows and what it has not handed over yet. */
    private static final class Tailer implements AutoCloseable {
        private final Settings settings;
        private final RecordContext context;
        private final int maxLine;
        private final byte[] buffer;
        private final int depth;
        private final Map<Object, Watched> files = new LinkedHashMap<>();
        /** Records read and not handed over yet, and their data bytes. */
        private List<DataRecord> pending = new ArrayList<>();
        private long pendingBytes;
        /** Entries changed since the last emit, and removed. */
        private final Set<Watched> dirty = new LinkedHashSet<>();
        private final Set<String> removed = new HashSet<>();
        private byte[] marker;
        /** Files that could not be opened, so that each is logged once. */
        private final Set<Path> unreadable = new HashSet<>();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private long lastStatusNanos;
        /** True during the first look of a run (its logs are summed up). */
        private boolean starting;
        private int resumedCount;

        Tailer(Settings settings, RecordContext context) {
            this.settings = settings;
            this.context = context;
            long limit = Math.min(settings.maxLineBytes(), context.maxRecordBytes());
            if (limit < settings.maxLineBytes()) {
                LOG.debug("source {}: maxLineBytes {} is capped at {} bytes, the largest record the queue carries",
                        settings.name(), settings.maxLineBytes(), limit);
            }
            this.maxLine = (int) Math.max(1, limit);
            this.buffer = new byte[Math.max(256 * 1024, maxLine + 1)];
            this.depth = settings.recursive() ? Integer.MAX_VALUE : 1;
        }

        void run() throws IOException, InterruptedException {
            Map<String, byte[]> checkpoint = context.checkpoint();
            boolean firstStart = !checkpoint.containsKey(TailCheckpoint.MARKER);
            if (firstStart) {
                marker = TailCheckpoint.marker(System.currentTimeMillis());
            }
            start(checkpoint, firstStart);
            flush(); // the marker, the files of a first start read from their end, what is gone
            if (context.once()) {
                readAll();
                finishRotatedOnce();
                flush();
                reportStatus();
                return;
            }
            while (!context.stopping()) {
                readAll();
                finishRotated();
                flush();
                checkFailure();
                if (System.nanoTime() - lastStatusNanos >= STATUS_NANOS) {
                    reportStatus();
                }
                if (context.awaitStop(settings.pollInterval())) {
                    break;
                }
                look(Map.of());
            }
            flush();
            reportStatus();
        }

        // ---------------------------------------------------------------------------------------------------------
        // Finding files

        /** The first look: files of the checkpoint are found by identity and resumed; the others start. */
        private void start(Map<String, byte[]> checkpoint, boolean firstStart) throws IOException {
            Map<String, TailCheckpoint.Entry> saved = new HashMap<>();
            for (Map.Entry<String, byte[]> e : checkpoint.entrySet()) {
                if (!TailCheckpoint.isFile(e.getKey())) {
                    continue;
                }
                try {
                    TailCheckpoint.Entry entry = TailCheckpoint.decode(e.getValue());
                    if (!entry.key().equals(e.getKey())) {
                        throw new IllegalArgumentException("its key does not match the identity it holds");
                    }
                    saved.put(e.getKey(), entry);
                } catch (IllegalArgumentException ex) {
                    LOG.warn("source {}: checkpoint entry {} cannot be read ({}); it is dropped, and its file, if it is "
                            + "still there, is read from its start", settings.name(), e.getKey(), ex.getMessage());
                    removed.add(e.getKey());
                }
            }
            starting = true;
            look(saved);
            starting = false;
            if (firstStart && settings.fromEnd()) {
                for (Watched w : files.values()) {
                    if (w.inPlace && w.offset == 0) {
                        skipToEnd(w);
                    }
                }
            }
            int resumed = resumedCount;
            LOG.info("source {}: following {} files under {}: {} from the checkpoint, {} from their {}",
                    settings.name(), files.size(), settings.root(), resumed, files.size() - resumed,
                    firstStart && settings.fromEnd() ? "end (readFrom: end, first start)" : "start");
            for (TailCheckpoint.Entry gone : saved.values()) {
                LOG.info("source {}: file {} of the checkpoint is gone; it leaves the checkpoint", settings.name(),
                        gone.name());
                removed.add(gone.key());
            }
        }

        /**
         * Walks the directory: follows new selected files, notices renamed, moved and deleted ones.
         *
         * @param saved on the first look, the checkpoint's entries not matched yet (matched ones are removed); else
         *     empty
         */
        private void look(Map<String, TailCheckpoint.Entry> saved) throws IOException {
            long now = System.nanoTime();
            for (Watched w : files.values()) {
                w.seen = false;
            }
            List<Path> found = new ArrayList<>();
            List<Path> unselected = new ArrayList<>();
            FileTree.walk(settings.root(), depth, (file, attrs) -> {
                Object fileKey = attrs.fileKey();
                Watched w = fileKey == null ? null : files.get(fileKey);
                boolean selected = settings.selection().selected(settings.root().relativize(file));
                if (w == null) {
                    if (selected) {
                        found.add(file);
                    } else if (!saved.isEmpty()) {
                        unselected.add(file); // perhaps a file of the checkpoint, rotated away while we were down
                    }
                    return;
                }
                if (w.seen && !w.path.equals(file)) {
                    return; // another hard link of a file seen under its first name in this walk
                }
                w.seen = true;
                w.size = attrs.size();
                w.modifiedMillis = attrs.lastModifiedTime().toMillis();
                if (!w.path.equals(file)) {
                    String before = w.name;
                    w.path = file;
                    w.name = ObjectNames.relativeName(settings.root(), file).name();
                    LOG.info("source {}: file {} was renamed to {}{}", settings.name(), before, w.name,
                            selected ? "" : ", which is not selected: it is read to its end");
                    dirty.add(w);
                }
                if (selected != w.inPlace) {
                    w.inPlace = selected;
                    w.rotatedAtNanos = selected ? 0 : now;
                }
            });
            for (Watched w : files.values()) {
                if (!w.seen && w.inPlace) {
                    LOG.info("source {}: file {} was moved away or deleted; it is read to its end", settings.name(),
                            w.name);
                    w.inPlace = false;
                    w.rotatedAtNanos = now;
                }
                if (!w.seen) {
                    w.size = w.channel.size();
                }
            }
            for (Path file : found) {
                follow(file, true, saved);
            }
            for (Path file : unselected) {
                follow(file, false, saved);
            }
        }

        /**
         * Opens a file and follows it: from its checkpoint entry when it has one (and its first bytes are the same),
         * else from its start.
         */
        private void follow(Path file, boolean selected, Map<String, TailCheckpoint.Entry> saved) throws IOException {
            Map<String, Object> attrs;
            FileChannel channel;
            try {
                attrs = Files.readAttributes(file, "unix:dev,ino,fileKey,size,lastModifiedTime", NOFOLLOW);
                TailCheckpoint.Entry entry = saved.get(TailCheckpoint.key((Long) attrs.get("dev"),
                        (Long) attrs.get("ino")));
                if (!selected && entry == null) {
                    return; // not selected, and not a file we followed
                }
                channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return; // gone already
            } catch (FileSystemException e) {
                if (unreadable.add(file)) {
                    LOG.warn("source {}: cannot open file {}: {}; trying again at each poll", settings.name(),
                            settings.root().relativize(file), e.getMessage());
                }
                return;
            }
            boolean kept = false;
            try {
                // The file at this path may have changed between the look and the open: the same identity after the
                // open means the channel is that file.
                Object again;
                try {
                    again = Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW).fileKey();
                } catch (NoSuchFileException e) {
                    return; // rotated away in between: the next look finds the new file
                }
                if (attrs.get("fileKey") == null || !attrs.get("fileKey").equals(again)) {
                    if (attrs.get("fileKey") == null) {
                        throw new IOException("the file system of " + settings.root() + " gives files no identity "
                                + "(device and inode): the tail mode cannot follow them");
                    }
                    return; // replaced in between: looked at again at the next poll
                }
                if (files.containsKey(again)) {
                    return; // a hard link of a file followed under another name
                }
                unreadable.remove(file);
                long dev = (Long) attrs.get("dev");
                long ino = (Long) attrs.get("ino");
                Watched w = new Watched(again, dev, ino, channel, file,
                        ObjectNames.relativeName(settings.root(), file).name());
                w.inPlace = selected;
                w.seen = true;
                w.size = (Long) attrs.get("size");
                w.modifiedMillis = ((java.nio.file.attribute.FileTime) attrs.get("lastModifiedTime")).toMillis();
                w.lastGrowthNanos = System.nanoTime();
                w.rotatedAtNanos = selected ? 0 : w.lastGrowthNanos;
                TailCheckpoint.Entry entry = saved.isEmpty() ? null : saved.remove(w.key);
                boolean resumed = entry != null && resume(w, entry);
                if (resumed) {
                    resumedCount++;
                }
                if (!selected && !resumed) {
                    removed.add(w.key); // the entry's file is gone; this one only has its inode
                    return; // not selected, and not the file of that entry
                }
                if (!resumed && !starting) {
                    LOG.info("source {}: following file {} from its start", settings.name(), w.name);
                }
                files.put(again, w);
                dirty.add(w);
                kept = true;
            } finally {
                if (!kept) {
                    channel.close();
                }
            }
        }

        /**
         * Resumes a file at its checkpoint entry, unless it is shorter than the entry's offset (truncated) or its first
         * bytes show that it is another file now.
         *
         * @return whether the file resumes from the entry (else it starts at 0)
         */
        private boolean resume(Watched w, TailCheckpoint.Entry entry) throws IOException {
            if (w.size < entry.offset()) {
                LOG.warn("source {}: file {} is shorter ({} bytes) than its checkpoint's offset ({}): it was truncated; "
                        + "reading it again from its start", settings.name(), w.name, w.size, entry.offset());
                return false;
            }
            byte[] now = TailCheckpoint.fingerprint(w.channel, entry.fingerprintLength());
            if (!TailCheckpoint.sameFingerprint(now, entry.fingerprint())) {
                LOG.info("source {}: file {} has the identity of {} in the checkpoint, but not its first bytes: it is "
                        + "another file{}", settings.name(), w.name, entry.name(),
                        w.inPlace ? ", read from its start" : "");
                return false;
            }
            w.offset = entry.offset();
            w.lineStart = entry.lineStart();
            w.parts = entry.parts();
            w.examined = entry.offset();
            w.fingerprintLength = entry.fingerprintLength();
            w.fingerprint = entry.fingerprint();
            if (!w.inPlace) {
                LOG.info("source {}: file {} was rotated away (renamed to {}) while not followed; resuming it at "
                        + "offset {} to read it to its end", settings.name(), entry.name(), w.name, w.offset);
            } else {
                LOG.debug("source {}: resuming file {} at offset {}", settings.name(), w.name, w.offset);
            }
            return true;
        }

        /**
         * {@code readFrom: end}: starts after the file's last line break, so that a line in progress is read whole
         * once it is complete. Looks for it backwards, a block at a time, at most {@code maxLineBytes + 1} bytes.
         */
        private void skipToEnd(Watched w) throws IOException {
            long size = w.size;
            long floor = Math.max(0, size - (maxLine + 1L));
            long start = -1;
            int block = 8 * 1024;
            for (long end = size; end > floor && start < 0; end -= block) {
                long from = Math.max(floor, end - block);
                int n = fill(w.channel, (int) (end - from), from);
                for (int i = n - 1; i >= 0; i--) {
                    if (buffer[i] == '\n') {
                        start = from + i + 1;
                        break;
                    }
                }
            }
            if (start < 0) {
                // No line break: the first line is still being written (it is read whole), or the last one is longer
                // than maxLineBytes (what follows is read).
                start = floor == 0 ? 0 : size;
            }
            w.offset = start;
            w.lineStart = start;
            w.examined = start;
            updateFingerprint(w);
            LOG.debug("source {}: following file {} from its end (offset {})", settings.name(), w.name, start);
        }

        // ---------------------------------------------------------------------------------------------------------
        // Reading

        /**
         * Reads the files that grew, each a round at a time, until every one is read to the size it had at the last
         * look (or, in a service, until the engine stops).
         */
        private void readAll() throws IOException, InterruptedException {
            List<Watched> active = new ArrayList<>();
            for (Watched w : files.values()) {
                if (changed(w)) {
                    active.add(w);
                }
            }
            while (!active.isEmpty() && !context.stopping()) {
                List<Watched> more = new ArrayList<>();
                for (Watched w : active) {
                    if (context.stopping()) {
                        break;
                    }
                    if (read(w, w.size, ROUND_BYTES)) {
                        more.add(w);
                    }
                    checkFailure();
                }
                active = more;
            }
        }

        /** Whether a file grew since it was last read; notices truncation and rewriting. */
        private boolean changed(Watched w) throws IOException {
            if (w.size < w.offset) {
                LOG.warn("source {}: file {} is shorter ({} bytes) than the offset read so far ({}): it was truncated; "
                        + "reading it again from its start", settings.name(), w.name, w.size, w.offset);
                w.restart();
                dirty.add(w);
                w.lastGrowthNanos = System.nanoTime();
                return w.size > 0;
            }
            if (w.size < w.examined) {
                w.examined = w.offset; // the line in progress became shorter: look at it again
            }
            if (w.size <= w.examined) {
                return false;
            }
            w.lastGrowthNanos = System.nanoTime();
            if (w.fingerprintLength > 0) {
                byte[] now = TailCheckpoint.fingerprint(w.channel, w.fingerprintLength);
                if (!TailCheckpoint.sameFingerprint(now, w.fingerprint)) {
                    LOG.warn("source {}: the first bytes of file {} changed: it was truncated and written again; "
                            + "reading it again from its start", settings.name(), w.name);
                    w.restart();
                    dirty.add(w);
                }
            }
            return true;
        }

        /**
         * Reads a file from its offset towards {@code end}, at most {@code budget} bytes.
         *
         * @return whether bytes before {@code end} are left for another round
         */
        private boolean read(Watched w, long end, long budget) throws IOException, InterruptedException {
            long pos = w.offset;
            long spent = 0;
            while (pos < end) {
                int want = (int) Math.min(buffer.length, end - pos);
                int n = fill(w.channel, want, pos);
                if (n <= 0) {
                    return false; // shorter than it was: the next look notices
                }
                split(w, pos, n);
                w.examined = Math.max(w.examined, pos + n);
                spent += n;
                if (pos + n >= end || n < want) {
                    return false; // the rest, if any, is a line in progress
                }
                pos = w.offset; // from the line in progress: it is looked at again with what follows
                if (spent >= budget) {
                    return true;
                }
            }
            return false;
        }

        private int fill(FileChannel channel, int want, long position) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(buffer, 0, want);
            while (buf.hasRemaining()) {
                if (channel.read(buf, position + buf.position()) < 0) {
                    break;
                }
            }
            return buf.position();
        }

        /** Cuts the bytes read at {@code pos} into lines (and parts of long lines); a line in progress stays. */
        private void split(Watched w, long pos, int n) throws IOException, InterruptedException {
            Instant time = Instant.now();
            int start = 0;
            byte[] b = buffer;
            boolean moved = false;
            while (start < n) {
                // The line break of the line at start, looked for in at most maxLine + 1 bytes.
                int limit = (int) Math.min(n, start + (long) maxLine + 1);
                int i = start;
                while (i < limit && b[i] != '\n') {
                    i++;
                }
                if (i < limit) {
                    add(w, time, start, i, w.parts == 0 ? 0 : w.parts + 1);
                    start = i + 1;
                    w.lineStart = pos + start;
                    w.parts = 0;
                    moved = true;
                } else if (limit - start > maxLine) {
                    // More than maxLine bytes without a line break: the first maxLine of them are a part.
                    w.parts++;
                    add(w, time, start, start + maxLine, w.parts);
                    start += maxLine;
                    moved = true;
                } else {
                    break; // a line in progress: looked at again with what follows
                }
            }
            if (moved) {
                w.offset = pos + start;
                dirty.add(w);
            }
            if (pendingBytes >= EMIT_BYTES) {
                flush();
            }
        }

        private void add(Watched w, Instant time, int from, int to, int part) {
            byte[] data = java.util.Arrays.copyOfRange(buffer, from, to);
            Map<String, String> attributes = part == 0
                    ? Map.of("file", w.name, "offset", Long.toString(w.lineStart))
                    : Map.of("file", w.name, "offset", Long.toString(w.lineStart), "part", Integer.toString(part));
            pending.add(new DataRecord(data, time, attributes));
            pendingBytes += data.length;
        }

        // ---------------------------------------------------------------------------------------------------------
        // Rotated files

        /** Closes the rotated-away files that are read to their end and have not grown for {@code rotateWait}. */
        private void finishRotated() throws IOException, InterruptedException {
            long now = System.nanoTime();
            long wait = settings.rotateWait().toNanos();
            List<Watched> done = new ArrayList<>();
            for (Watched w : files.values()) {
                if (!w.inPlace && w.size <= w.examined
                        && now - Math.max(w.lastGrowthNanos, w.rotatedAtNanos) >= wait) {
                    done.add(w);
                }
            }
            for (Watched w : done) {
                finish(w);
            }
        }

        /**
         * {@code --once}: a rotated-away file that has not been written to for {@code rotateWait} is finished;
         * another one keeps its entry for the next run.
         */
        private void finishRotatedOnce() throws IOException, InterruptedException {
            long wait = settings.rotateWait().toMillis();
            List<Watched> done = new ArrayList<>();
            for (Watched w : files.values()) {
                if (!w.inPlace && w.size <= w.examined && !context.stopping()) {
                    if (System.currentTimeMillis() - w.modifiedMillis >= wait) {
                        done.add(w);
                    }
                }
            }
            for (Watched w : done) {
                finish(w);
            }
        }

        /**
         * Hands over a rotated-away file's last line in progress, if any, whole; closes the file; drops its entry. A
         * file that grew meanwhile is left for the next round.
         */
        private void finish(Watched w) throws IOException, InterruptedException {
            long size = w.channel.size();
            if (size > w.examined) {
                w.size = size;
                return; // written to again: read first
            }
            long pos = w.offset;
            if (size > pos) { // at most maxLine bytes: longer lines were handed over in parts
                int n = fill(w.channel, (int) Math.min(buffer.length, size - pos), pos);
                split(w, pos, n);
                if (w.offset < pos + n) {
                    add(w, Instant.now(), (int) (w.offset - pos), n, w.parts == 0 ? 0 : w.parts + 1);
                    w.offset = pos + n;
                    w.lineStart = w.offset;
                    w.parts = 0;
                }
            }
            LOG.info("source {}: file {} is read to its end ({} bytes) and closed", settings.name(), w.name, w.offset);
            files.remove(w.fileKey);
            dirty.remove(w);
            removed.add(w.key);
            w.channel.close();
        }

        // ---------------------------------------------------------------------------------------------------------
        // Handing over

        /** Hands over the records read so far with the entries they move. */
        private void flush() throws InterruptedException, IOException {
            if (pending.isEmpty() && dirty.isEmpty() && removed.isEmpty() && marker == null) {
                return;
            }
            Map<String, byte[]> put = new HashMap<>();
            if (marker != null) {
                put.put(TailCheckpoint.MARKER, marker);
            }
            for (Watched w : dirty) {
                updateFingerprint(w);
                put.put(w.key, TailCheckpoint.encode(w.entry()));
            }
            Set<String> remove = new HashSet<>(removed);
            remove.removeAll(put.keySet()); // an inode used again by a new file: its entry is set
            List<DataRecord> records = pending;
            CompletionStage<Void> stored = context.emit(records, new CheckpointUpdate(put, remove));
            stored.whenComplete((v, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                }
            });
            pending = new ArrayList<>();
            pendingBytes = 0;
            dirty.clear();
            removed.clear();
            marker = null;
        }

        /** Extends a file's fingerprint over its first bytes handed over, up to {@value TailCheckpoint#FINGERPRINT_BYTES}. */
        private void updateFingerprint(Watched w) throws IOException {
            int length = (int) Math.min(TailCheckpoint.FINGERPRINT_BYTES, w.offset);
            if (length > w.fingerprintLength) {
                byte[] fp = TailCheckpoint.fingerprint(w.channel, length);
                if (fp != null) {
                    w.fingerprint = fp;
                    w.fingerprintLength = length;
                }
            }
        }

        private void checkFailure() throws IOException {
            Throwable e = failure.get();
            if (e != null) {
                throw new IOException("source " + settings.name() + ": lines handed over could not be stored in the "
                        + "queue (" + e.getMessage() + "); reading again from the checkpoint", e);
            }
        }

        /** Tells {@code ingest status} each file's offset and size: the files furthest behind first. */
        private void reportStatus() {
            lastStatusNanos = System.nanoTime();
            List<Watched> all = new ArrayList<>(files.values());
            long behind = 0;
            int rotated = 0;
            for (Watched w : all) {
                behind += Math.max(0, w.size - w.offset);
                rotated += w.inPlace ? 0 : 1;
            }
            all.sort(Comparator.comparingLong((Watched w) -> w.offset - w.size).thenComparing(w -> w.name));
            Map<String, String> status = new LinkedHashMap<>();
            status.put("files", all.size() + " followed" + (rotated > 0 ? " (" + rotated + " rotated away)" : "")
                    + ", " + behind + " bytes not read yet"
                    + (all.size() > STATUS_FILES ? "; the " + STATUS_FILES + " furthest behind:" : ""));
            for (int i = 0; i < all.size() && i < STATUS_FILES; i++) {
                Watched w = all.get(i);
                status.put("file " + w.name, "offset " + w.offset + " of " + w.size + " bytes"
                        + (w.inPlace ? "" : " (rotated away)"));
            }
            context.status(status);
        }

        @Override
        public void close() {
            for (Watched w : files.values()) {
                try {
                    w.channel.close();
                } catch (IOException e) {
                    LOG.debug("source {}: closing {} failed: {}", settings.name(), w.name, e.toString());
                }
            }
            files.clear();
        }
    }
}
