package dev.ingest.plugin.s3;

import dev.ingest.api.PluginConfig;
import dev.ingest.api.Secrets;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code notifications:} block of an s3 source: where S3 event notifications come from. Either an SQS queue
 * ({@code sqs: QUEUE_URL} with {@code endpoint}, {@code region}, {@code waitTime}, {@code visibilityTimeout},
 * {@code receivers}) or a NATS subject ({@code nats: SUBJECT}, with {@code url} when it is not the queue's server).
 *
 * @param sqsQueueUrl the SQS queue's URL, or {@code null} for NATS
 * @param sqsEndpoint the SQS endpoint, or {@code null} for AWS (from the region)
 * @param region the SQS region
 * @param waitTime how long one receive waits for messages (long polling, at most 20 s)
 * @param visibilityTimeout how long a received message stays invisible to other receivers
 * @param receivers how many threads receive at once
 * @param natsSubject the NATS subject, or {@code null} for SQS
 * @param natsUrl the NATS server of the subject; empty for the engine's queue server
 */
record NotificationSettings(String sqsQueueUrl, URI sqsEndpoint, String region, Duration waitTime,
                            Duration visibilityTimeout, int receivers, String natsSubject, Optional<String> natsUrl) {

    static final String KEY = "notifications";
    private static final Set<String> SQS_KEYS = Set.of("sqs", "endpoint", "region", "waitTime", "visibilityTimeout",
            "receivers");
    private static final Set<String> NATS_KEYS = Set.of("nats", "url");

    NotificationSettings {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(natsUrl, "natsUrl");
    }

    /** @return whether notifications come from SQS (else NATS) */
    boolean sqs() {
        return sqsQueueUrl != null;
    }

    /** @return where they come from, for messages (no credentials) */
    String origin() {
        return sqs() ? "sqs " + Secrets.redactUrl(sqsQueueUrl) : "nats subject " + natsSubject;
    }

    /**
     * Reads the {@code notifications} block, recording problems in {@code config} as {@code notifications.KEY}.
     *
     * @param config the source's keys
     * @param defaultRegion the source's region
     * @return the settings, or empty without the block (or when it is wrong)
     */
    static Optional<NotificationSettings> parse(PluginConfig config, String defaultRegion) {
        Object raw = config.values().get(KEY);
        if (raw == null) {
            return Optional.empty();
        }
        if (!(raw instanceof Map<?, ?> map)) {
            config.problem(KEY, "must be a mapping: {sqs: QUEUE_URL, ...} or {nats: SUBJECT}");
            return Optional.empty();
        }
        @SuppressWarnings("unchecked")
        PluginConfig n = PluginConfig.of(config.name(), (Map<String, ?>) map);
        boolean sqs = n.has("sqs");
        boolean nats = n.has("nats");
        if (sqs == nats) {
            config.problem(KEY, "needs exactly one of sqs (a queue URL) and nats (a subject)");
            return Optional.empty();
        }
        Set<String> allowed = sqs ? SQS_KEYS : NATS_KEYS;
        for (Object key : map.keySet()) {
            if (!allowed.contains(String.valueOf(key))) {
                config.problem(KEY + "." + key, "is not a key of " + (sqs ? "SQS" : "NATS") + " notifications "
                        + "(known: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
            }
        }
        NotificationSettings out;
        if (sqs) {
            String queueUrl = n.string("sqs").trim();
            URI endpoint = n.optionalString("endpoint").map(e -> uri(n, "endpoint", e)).orElse(null);
            uri(n, "sqs", queueUrl);
            String region = n.optionalString("region").map(String::trim).orElse(defaultRegion);
            Duration wait = n.duration("waitTime", Duration.ofSeconds(20), Duration.ZERO);
            if (wait.compareTo(Duration.ofSeconds(20)) > 0) {
                n.problem("waitTime", "must be at most 20s (SQS's longest poll), got " + wait.toSeconds() + "s");
            }
            Duration visibility = n.duration("visibilityTimeout", Duration.ofMinutes(5), Duration.ofSeconds(1));
            if (visibility.compareTo(Duration.ofHours(12)) > 0) {
                n.problem("visibilityTimeout", "must be at most 12h (SQS's limit)");
            }
            int receivers = (int) n.number("receivers", 1, 1);
            if (receivers > 64) {
                n.problem("receivers", "must be at most 64, got " + receivers);
            }
            out = new NotificationSettings(queueUrl, endpoint, region, wait, visibility, receivers, null,
                    Optional.empty());
        } else {
            String subject = n.string("nats").trim();
            if (!subject.isEmpty() && (subject.chars().anyMatch(Character::isWhitespace))) {
                n.problem("nats", "'" + subject + "' is not a NATS subject (no spaces)");
            }
            Optional<String> url = n.optionalString("url").map(String::trim);
            out = new NotificationSettings(null, null, defaultRegion, Duration.ZERO, Duration.ZERO, 1, subject, url);
        }
        for (String p : n.problems()) {
            int colon = p.indexOf(": ");
            if (colon > 0) {
                config.problem(KEY + "." + p.substring(0, colon), p.substring(colon + 2));
            } else {
                config.problem(KEY, p);
            }
        }
        return Optional.of(out);
    }

    private static URI uri(PluginConfig n, String key, String text) {
        try {
            URI uri = new URI(text.trim());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                n.problem(key, "'" + Secrets.redactUrl(text) + "' must be an http(s) URL with a host");
                return null;
            }
            return uri;
        } catch (URISyntaxException e) {
            n.problem(key, "'" + Secrets.redactUrl(text) + "' is not a URL: " + e.getReason());
            return null;
        }
    }
}
