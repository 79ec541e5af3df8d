package dev.ingest.plugin.s3;

import dev.ingest.api.FeedContext;
import dev.ingest.api.ObjectFeed;
import dev.ingest.api.Secrets;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * S3 event notifications from a NATS subject, in the S3 event format MinIO publishes there. When a JetStream stream
 * holds the subject, the feed reads it through a durable pull consumer of its own ({@code ingest-notify__<workflow>},
 * explicit acks): each message is acked, in order, once JetStream stored every object it names (a message whose
 * objects could not be queued is NAKed and comes back), so nothing is lost across restarts. When no stream holds the
 * subject, the feed takes a core subscription: events published while it is not subscribed are not seen (an
 * occasional scan, the workflow's {@code interval}, catches them). A message that is not an S3 event, or names
 * objects of another bucket or prefix, is dead-lettered with the reason, then acked.
 */
final class NatsFeed implements ObjectFeed {

    private static final Logger LOG = LoggerFactory.getLogger(NatsFeed.class);
    private static final int FETCH = 256;
    private static final Duration POLL = Duration.ofSeconds(1);

    private final String source;
    private final String workflow;
    private final NotificationSettings settings;
    private final S3Events events;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private volatile Connection connection;

    NatsFeed(String source, String workflow, NotificationSettings settings, S3Events events) {
        this.source = source;
        this.workflow = workflow;
        this.settings = settings;
        this.events = events;
    }

    /** @return the durable consumer's name for a workflow */
    static String durable(String workflow) {
        return "ingest-notify__" + workflow.replaceAll("[^A-Za-z0-9_-]", "_");
    }

    @Override
    public void run(FeedContext context) throws IOException, InterruptedException {
        String url = settings.natsUrl().orElse(context.queueEndpoint());
        Connection nc = connection;
        if (nc == null || nc.getStatus() == Connection.Status.CLOSED) {
            try {
                nc = Nats.connect(new Options.Builder().server(url).connectionName("ingest-notify-" + workflow)
                        .maxReconnects(-1).build());
            } catch (IOException e) {
                throw new IOException("source " + source + ": cannot connect to NATS at " + Secrets.redactUrl(url)
                        + " for " + settings.origin() + ": " + e.getMessage(), e);
            }
            connection = nc;
        }
        String stream = streamOf(nc);
        if (stream != null) {
            LOG.info("source {}: receiving S3 event notifications from {} (stream {}, durable consumer {})", source,
                    settings.origin(), stream, durable(workflow));
            fromStream(nc, stream, context);
        } else {
            LOG.info("source {}: receiving S3 event notifications from {} (no stream holds it: a core subscription; "
                    + "events published while ingest does not run are not seen)", source, settings.origin());
            fromCore(nc, context);
        }
    }

    private String streamOf(Connection nc) throws IOException {
        try {
            List<String> names = nc.jetStreamManagement().getStreamNames(settings.natsSubject());
            return names.isEmpty() ? null : names.get(0);
        } catch (JetStreamApiException e) {
            return null; // no JetStream on that server
        }
    }

    private void fromStream(Connection nc, String stream, FeedContext context) throws IOException, InterruptedException {
        JetStreamSubscription sub;
        try {
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable(durable(workflow))
                    .filterSubject(settings.natsSubject()).ackPolicy(AckPolicy.Explicit)
                    .deliverPolicy(DeliverPolicy.All).ackWait(Duration.ofMinutes(1)).maxAckPending(FETCH * 4L).build());
            sub = nc.jetStream().subscribe(settings.natsSubject(),
                    PullSubscribeOptions.bind(stream, durable(workflow)));
        } catch (JetStreamApiException e) {
            throw new IOException("source " + source + ": cannot read " + settings.origin() + " from stream " + stream
                    + ": " + e.getMessage(), e);
        }
        try {
            while (!context.stopping()) {
                List<Message> batch = sub.fetch(FETCH, POLL);
                if (batch.isEmpty()) {
                    if (context.once()) {
                        return;
                    }
                    continue;
                }
                handle(batch, context, true);
            }
        } finally {
            sub.unsubscribe();
        }
    }

    private void fromCore(Connection nc, FeedContext context) throws IOException, InterruptedException {
        Subscription sub = nc.subscribe(settings.natsSubject());
        try {
            while (!context.stopping()) {
                Message first = sub.nextMessage(POLL);
                if (first == null) {
                    if (context.once()) {
                        return;
                    }
                    continue;
                }
                List<Message> batch = new ArrayList<>();
                batch.add(first);
                for (Message m = sub.nextMessage(Duration.ZERO.plusMillis(1)); m != null && batch.size() < FETCH;
                     m = sub.nextMessage(Duration.ofMillis(1))) {
                    batch.add(m);
                }
                handle(batch, context, false);
            }
        } finally {
            sub.unsubscribe();
        }
    }

    /** Hands a batch over, then acks (or NAKs) its messages in order once their objects are stored. */
    private void handle(List<Message> batch, FeedContext context, boolean jetStream) throws InterruptedException {
        received.addAndGet(batch.size());
        List<CompletableFuture<Void>> stages = new ArrayList<>(batch.size());
        for (Message m : batch) {
            String id = jetStream ? "stream sequence " + m.metaData().streamSequence()
                    : "message at " + System.nanoTime();
            S3Events.Parsed parsed = events.parse(m.getData());
            if (parsed.test()) {
                stages.add(CompletableFuture.completedFuture(null));
                continue;
            }
            if (parsed.problem().isPresent()) {
                try {
                    context.deadLetter(id, m.getData(), "notification (" + id + ") on " + settings.origin() + ": "
                            + parsed.problem().get(), settings.origin());
                    deadLettered.incrementAndGet();
                } catch (IOException e) {
                    LOG.error("source {}: could not dead-letter notification {} ({}): {}", source, id,
                            parsed.problem().get(), e.toString());
                    stages.add(CompletableFuture.failedFuture(e));
                    continue;
                }
            }
            stages.add(context.queue(parsed.objects()).toCompletableFuture());
        }
        for (int i = 0; i < batch.size(); i++) {
            Message m = batch.get(i);
            try {
                stages.get(i).get();
                if (jetStream) {
                    m.ack();
                }
                acked.incrementAndGet();
            } catch (ExecutionException e) {
                LOG.warn("source {}: a notification on {} was not handed over ({}){}", source, settings.origin(),
                        e.getCause().toString(), jetStream ? "; NAKed, it comes back" : "; it is lost to this feed");
                if (jetStream) {
                    m.nak();
                }
            }
        }
        Map<String, String> status = new LinkedHashMap<>();
        status.put("notifications", settings.origin());
        status.put("received", Long.toString(received.get()));
        status.put("acked", Long.toString(acked.get()));
        status.put("deadLettered", Long.toString(deadLettered.get()));
        LOG.debug("source {}: {}", source, status);
    }

    @Override
    public void close() {
        Connection nc = connection;
        connection = null;
        if (nc != null) {
            try {
                nc.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "NatsFeed[" + source + ": " + settings.origin() + "]";
    }
}
