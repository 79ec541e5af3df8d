package dev.ingest.core.records;

import dev.ingest.api.DataRecord;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The name of a batch object, from a template such as {@code {workflow}/{yyyy}/{MM}/{dd}/{HH}/{first}.{ext}}.
 *
 * <p>Placeholders: {@code {workflow}}, {@code {source}}; the record's time in UTC, {@code {yyyy} {MM} {dd} {HH} {mm}
 * {ss}}; {@code {attr.NAME}}, a record attribute (empty when the record has none), percent-encoded where it would
 * break a key ({@code /}, {@code %}, control characters, {@code ..}); {@code {first}}, the batch's first record's
 * position in the stream; {@code {ext}}, from the format and the compression. Everything before {@code {first}} is
 * the batch's <em>prefix</em>: records whose prefixes differ go to different batches. {@code {first}} is required:
 * without it, two batches would get the same name. Braces are reserved for placeholders.
 *
 * <p>Immutable and thread-safe.
 */
public final class KeyTemplate {

    /** The default template. */
    public static final String DEFAULT = "{workflow}/{yyyy}/{MM}/{dd}/{HH}/{first}.{ext}";

    private static final List<String> TIME = List.of("yyyy", "MM", "dd", "HH", "mm", "ss");

    /** One piece of the template: literal text or a placeholder. */
    private record Part(String literal, String placeholder) {
    }

    private final String text;
    private final List<Part> prefix;
    private final List<Part> suffix;

    /** The attributes the prefix uses. */
    private final String[] attributes;
    /**
     * The period of the prefix's finest time placeholder in seconds ({@code {ss}} 1, {@code {mm}} 60, {@code {HH}}
     * 3600, {@code {dd} {MM} {yyyy}} a UTC day), or 0 when it has none: records in the same period share the time
     * part of the prefix.
     */
    private final long timeSeconds;
    /** The prefix last computed (a cache; see {@link #prefix}). */
    private volatile Last last;

    private KeyTemplate(String text, List<Part> prefix, List<Part> suffix) {
        this.text = text;
        this.prefix = prefix;
        this.suffix = suffix;
        List<String> used = new ArrayList<>();
        long seconds = 0;
        for (Part p : prefix) {
            String name = p.placeholder();
            if (name == null) {
                continue;
            }
            if (name.startsWith("attr.")) {
                used.add(name.substring(5));
            } else if (TIME.contains(name)) {
                long s = switch (name) {
                    case "ss" -> 1;
                    case "mm" -> 60;
                    case "HH" -> 3600;
                    default -> 86_400;
                };
                seconds = seconds == 0 ? s : Math.min(seconds, s);
            }
        }
        this.attributes = used.toArray(new String[0]);
        this.timeSeconds = seconds;
    }

    /**
     * Parses a template.
     *
     * @param text the template
     * @return the template, or a description of what is wrong
     */
    public static Result parse(String text) {
        Objects.requireNonNull(text, "text");
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int firsts = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '}') {
                return Result.error("'}' at position " + (i + 1) + " closes no placeholder");
            }
            if (c != '{') {
                literal.append(c);
                continue;
            }
            int end = text.indexOf('}', i);
            if (end < 0) {
                return Result.error("'{' at position " + (i + 1) + " is not closed");
            }
            String name = text.substring(i + 1, end);
            if (!(name.equals("workflow") || name.equals("source") || name.equals("first") || name.equals("ext")
                    || TIME.contains(name) || name.startsWith("attr.") && name.length() > 5)) {
                return Result.error("unknown placeholder {" + name + "} (known: {workflow}, {source}, {yyyy}, {MM}, "
                        + "{dd}, {HH}, {mm}, {ss}, {attr.NAME}, {first}, {ext})");
            }
            if (name.equals("first")) {
                firsts++;
            }
            if (!literal.isEmpty()) {
                parts.add(new Part(literal.toString(), null));
                literal.setLength(0);
            }
            parts.add(new Part(null, name));
            i = end;
        }
        if (!literal.isEmpty()) {
            parts.add(new Part(literal.toString(), null));
        }
        if (firsts != 1) {
            return Result.error(firsts == 0
                    ? "must contain {first}, or two batches would get the same name (e.g. " + DEFAULT + ")"
                    : "must contain {first} once");
        }
        if (text.startsWith("/")) {
            return Result.error("must not start with '/'");
        }
        int at = 0;
        while (parts.get(at).placeholder() == null || !parts.get(at).placeholder().equals("first")) {
            at++;
        }
        for (Part p : parts.subList(at + 1, parts.size())) {
            if (p.placeholder() != null && !p.placeholder().equals("ext")) {
                return Result.error("only {ext} and text may follow {first}: what tells batches apart goes before it");
            }
        }
        return new Result(Optional.of(new KeyTemplate(text, List.copyOf(parts.subList(0, at)),
                List.copyOf(parts.subList(at + 1, parts.size())))), "");
    }

    /**
     * What {@link #parse(String)} found.
     *
     * @param template the template, when valid
     * @param error what is wrong, when not
     */
    public record Result(Optional<KeyTemplate> template, String error) {
        static Result error(String message) {
            return new Result(Optional.empty(), message);
        }
    }

    /**
     * The prefix of a record's batch: the name up to {@code {first}}.
     *
     * @param record the record
     * @param workflow the workflow
     * @param source the source's name
     * @return the prefix
     */
    public String prefix(DataRecord record, String workflow, String source) {
        // Records come in runs of the same prefix: the last one is reused while the record's time is in the same
        // period of the template's finest time placeholder and its attributes used by the template are the same.
        long period = timeSeconds == 0 ? 0 : Math.floorDiv(record.time().getEpochSecond(), timeSeconds);
        Last last = this.last;
        if (last != null && last.period == period && last.workflow.equals(workflow) && last.source.equals(source)
                && sameAttributes(last.attributes, record)) {
            return last.prefix;
        }
        String computed = compute(record, workflow, source);
        String[] values = new String[attributes.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = record.attributes().getOrDefault(attributes[i], "");
        }
        this.last = new Last(period, workflow, source, values, computed);
        return computed;
    }

    private boolean sameAttributes(String[] values, DataRecord record) {
        for (int i = 0; i < values.length; i++) {
            if (!values[i].equals(record.attributes().getOrDefault(attributes[i], ""))) {
                return false;
            }
        }
        return true;
    }

    /** The prefix last computed, and what it depends on (immutable: shared between threads through a field). */
    private record Last(long period, String workflow, String source, String[] attributes, String prefix) {
    }

    private String compute(DataRecord record, String workflow, String source) {
        StringBuilder out = new StringBuilder();
        ZonedDateTime time = null;
        for (Part p : prefix) {
            if (p.literal() != null) {
                out.append(p.literal());
                continue;
            }
            String name = p.placeholder();
            switch (name) {
                case "workflow" -> out.append(workflow);
                case "source" -> out.append(escape(source));
                default -> {
                    if (name.startsWith("attr.")) {
                        out.append(escape(record.attributes().getOrDefault(name.substring(5), "")));
                    } else {
                        if (time == null) {
                            time = record.time().atZone(ZoneOffset.UTC);
                        }
                        out.append(switch (name) {
                            case "yyyy" -> four(time.getYear());
                            case "MM" -> two(time.getMonthValue());
                            case "dd" -> two(time.getDayOfMonth());
                            case "HH" -> two(time.getHour());
                            case "mm" -> two(time.getMinute());
                            default -> two(time.getSecond());
                        });
                    }
                }
            }
        }
        return out.toString();
    }

    /** @return whether the prefix uses a record attribute ({@code {attr.NAME}}) */
    public boolean usesAttributes() {
        return attributes.length > 0;
    }

    /**
     * The whole name of a batch.
     *
     * @param prefix its records' prefix
     * @param first its {@code {first}}
     * @param ext the extension of its format and compression
     * @return the name
     */
    public String name(String prefix, String first, String ext) {
        StringBuilder out = new StringBuilder(prefix).append(first);
        for (Part p : suffix) {
            out.append(p.literal() != null ? p.literal() : ext);
        }
        return out.toString();
    }

    /**
     * {@code {first}} of a batch: the stream sequence of the message that carried its first record, zero-padded to
     * 20 digits (names sort in stream order), and {@code -N} when that record was the message's record {@code N}
     * rather than its first (a batch that started inside a message).
     *
     * @param sequence the message's stream sequence
     * @param index the record's index in the message
     * @return the text
     */
    public static String first(long sequence, int index) {
        String seq = String.format("%020d", sequence);
        return index == 0 ? seq : seq + "-" + index;
    }

    private static String four(int n) {
        return n >= 1000 ? Integer.toString(n) : String.format("%04d", n);
    }

    private static String two(int n) {
        return n < 10 ? "0" + n : Integer.toString(n);
    }

    /** Percent-encodes what would break a key: '/', '%', control characters, '\', and a value of '.' or '..'. */
    static String escape(String value) {
        if (value.equals(".") || value.equals("..")) {
            return value.replace(".", "%2E");
        }
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean bad = c == '/' || c == '%' || c == '\\' || c < 0x20 || c == 0x7f;
            if (bad && out == null) {
                out = new StringBuilder(value.length() + 8).append(value, 0, i);
            }
            if (out != null) {
                if (bad) {
                    for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
                        out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                                .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
                    }
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? value : out.toString();
    }

    @Override
    public String toString() {
        return text;
    }
}
