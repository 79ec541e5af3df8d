package dev.ingest.plugin.s3;

import dev.ingest.api.FeedContext;
import dev.ingest.api.ObjectFeed;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.SqsClientBuilder;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageResponse;

/**
 * S3 event notifications from an SQS queue: {@code receivers} threads long-poll the queue ({@code waitTime}, up to 10
 * messages a receive, each invisible to others for {@code visibilityTimeout}) and hand each notification's objects to
 * the engine. A message is deleted only once JetStream stored every object it names; if that fails, or the process
 * dies first, it is not deleted and becomes visible again after its visibility timeout (its objects are then queued
 * again, which JetStream's duplicate window or the destinations' check absorbs). A message that is not an S3 event,
 * or names objects of another bucket or prefix, is dead-lettered with its body and the reason, then deleted;
 * {@code s3:TestEvent} is deleted. Nothing is deleted unread or dropped silently.
 *
 * <p>In a {@code once} run, each receiver polls without waiting until a receive comes back empty.
 */
final class SqsFeed implements ObjectFeed {

    private static final Logger LOG = LoggerFactory.getLogger(SqsFeed.class);

    private final String source;
    private final NotificationSettings settings;
    private final S3Events events;
    private final SqsClient client;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong deleted = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();

    SqsFeed(String source, NotificationSettings settings, S3Events events, AwsCredentialsProvider credentials) {
        this.source = source;
        this.settings = settings;
        this.events = events;
        SqsClientBuilder builder = SqsClient.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .httpClientBuilder(Apache5HttpClient.builder()
                        .maxConnections(settings.receivers() * 2 + 4)
                        .socketTimeout(settings.waitTime().plusSeconds(30)));
        if (settings.sqsEndpoint() != null) {
            builder.endpointOverride(settings.sqsEndpoint());
        }
        this.client = builder.build();
    }

    @Override
    public void run(FeedContext context) throws IOException, InterruptedException {
        LOG.info("source {}: receiving S3 event notifications from {} with {} receiver(s)", source, settings.origin(),
                settings.receivers());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < settings.receivers(); i++) {
            Thread t = new Thread(() -> {
                try {
                    receive(context);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }, "sqs-" + source + "-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            threads.forEach(Thread::interrupt);
            throw e;
        }
        Throwable f = failure.get();
        if (f != null) {
            throw f instanceof IOException io ? io : new IOException(f.toString(), f);
        }
    }

    /** One receiver: polls until the engine stops ({@code once}: until a poll finds nothing). */
    private void receive(FeedContext context) throws IOException, InterruptedException {
        int wait = context.once() ? 0 : (int) settings.waitTime().toSeconds();
        while (!context.stopping()) {
            ReceiveMessageResponse response;
            try {
                response = client.receiveMessage(b -> b.queueUrl(settings.sqsQueueUrl()).maxNumberOfMessages(10)
                        .waitTimeSeconds(wait).visibilityTimeout((int) settings.visibilityTimeout().toSeconds()));
            } catch (SdkException e) {
                throw S3Errors.retryable("receiving from " + settings.origin(), e);
            }
            List<Message> messages = response.messages();
            if (messages.isEmpty()) {
                if (context.once()) {
                    return;
                }
                continue;
            }
            received.addAndGet(messages.size());
            List<CompletableFuture<Void>> pending = new ArrayList<>(messages.size());
            for (Message m : messages) {
                pending.add(handle(context, m));
            }
            // Deleted in order, each once JetStream stored its objects; all before the next receive.
            for (int i = 0; i < messages.size(); i++) {
                Message m = messages.get(i);
                try {
                    if (pending.get(i) != null) {
                        pending.get(i).get();
                    }
                    delete(m);
                } catch (ExecutionException e) {
                    LOG.warn("source {}: notification {} was not deleted ({}); it comes back after {}", source,
                            m.messageId(), e.getCause().toString(), settings.visibilityTimeout());
                }
            }
            report();
        }
    }

    /**
     * Hands a notification's objects over (and dead-letters what is wrong in it).
     *
     * @return completes when the message may be deleted
     */
    private CompletableFuture<Void> handle(FeedContext context, Message m) throws InterruptedException {
        S3Events.Parsed parsed = events.parse(m.body().getBytes(StandardCharsets.UTF_8));
        if (parsed.test()) {
            LOG.info("source {}: s3:TestEvent from {} received; deleting it", source, settings.origin());
            return CompletableFuture.completedFuture(null);
        }
        if (parsed.problem().isPresent()) {
            try {
                context.deadLetter(m.messageId(), m.body().getBytes(StandardCharsets.UTF_8),
                        "notification " + m.messageId() + " from " + settings.origin() + ": " + parsed.problem().get(),
                        settings.origin());
                deadLettered.incrementAndGet();
            } catch (IOException e) {
                LOG.error("source {}: could not dead-letter notification {} ({}); it stays in the queue: {}", source,
                        m.messageId(), parsed.problem().get(), e.toString());
                return CompletableFuture.failedFuture(e);
            }
        }
        return context.queue(parsed.objects()).toCompletableFuture();
    }

    private void delete(Message m) {
        try {
            client.deleteMessage(b -> b.queueUrl(settings.sqsQueueUrl()).receiptHandle(m.receiptHandle()));
            deleted.incrementAndGet();
        } catch (SdkException e) {
            LOG.warn("source {}: could not delete notification {} from {} ({}); it comes back after its visibility "
                    + "timeout and its objects are queued again", source, m.messageId(), settings.origin(), e.toString());
        }
    }

    private void report() {
        Map<String, String> status = new LinkedHashMap<>();
        status.put("notifications", settings.origin());
        status.put("received", Long.toString(received.get()));
        status.put("deleted", Long.toString(deleted.get()));
        status.put("deadLettered", Long.toString(deadLettered.get()));
        LOG.debug("source {}: {}", source, status);
    }

    /** @return how many messages were deleted so far (tests) */
    long deleted() {
        return deleted.get();
    }

    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return "SqsFeed[" + source + ": " + settings.origin() + "]";
    }

}
