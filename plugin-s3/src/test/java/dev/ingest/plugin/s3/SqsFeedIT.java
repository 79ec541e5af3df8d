package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ingest.api.Codec;
import dev.ingest.api.FeedContext;
import dev.ingest.api.NameFilter;
import dev.ingest.api.PluginConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The SQS feed against a real SQS API server (ElasticMQ in-process). The engine's side is a test context here, so that
 * a test decides when (and whether) JetStream "stored" a notification's objects; the feed in the engine, with
 * JetStream and s3proxy, is in {@link S3SqsNotificationsIT}.
 */
class SqsFeedIT {

    @RegisterExtension
    static final SqsServerExtension SQS = new SqsServerExtension();

    /** The engine's side: hands out stages the test completes, and keeps dead letters. */
    static class Context implements FeedContext {
        final List<List<Codec>> queued = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<Void>> stages = new CopyOnWriteArrayList<>();
        final List<String> deadLetters = new CopyOnWriteArrayList<>();
        final Function<List<Codec>, CompletableFuture<Void>> answer;
        final boolean once;
        final CountDownLatch stop = new CountDownLatch(1);

        Context(boolean once, Function<List<Codec>, CompletableFuture<Void>> answer) {
            this.once = once;
            this.answer = answer;
        }

        @Override
        public CompletionStage<Void> queue(List<Codec> objects) {
            queued.add(objects);
            CompletableFuture<Void> stage = answer.apply(objects);
            stages.add(stage);
            return stage;
        }

        @Override
        public void deadLetter(String id, byte[] body, String reason, String origin) throws IOException {
            deadLetters.add(reason);
        }

        @Override
        public String queueEndpoint() {
            return "nats://unused";
        }

        @Override
        public boolean once() {
            return once;
        }

        @Override
        public boolean stopping() {
            return stop.getCount() == 0;
        }

        @Override
        public boolean awaitStop(Duration timeout) throws InterruptedException {
            return stop.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static SqsFeed feed(String queueUrl, int visibilitySeconds) {
        PluginConfig config = PluginConfig.of("src", Map.of("notifications", Map.of("sqs", queueUrl,
                "endpoint", SQS.endpoint().toString(), "waitTime", "1s", "visibilityTimeout", visibilitySeconds + "s")));
        NotificationSettings settings = NotificationSettings.parse(config, "us-east-1").orElseThrow();
        assertThat(config.problems()).isEmpty();
        return new SqsFeed("src", settings, new S3Events("bkt", "in/", NameFilter.all()),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")));
    }

    @Test
    void aMessageIsDeletedOnlyOnceItsObjectsAreStored() throws Exception {
        String queue = SQS.createQueue(30);
        SQS.send(queue, Events.created("bkt", "in/a.txt", 1, "e1"));
        CompletableFuture<Void> stored = new CompletableFuture<>();
        Context context = new Context(false, objects -> stored);
        try (SqsFeed feed = feed(queue, 30)) {
            Thread t = new Thread(() -> {
                try {
                    feed.run(context);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            t.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> context.queued.size() == 1);
            assertThat(context.queued.get(0)).containsExactly(Codec.of("in/a.txt", "a.txt", "e1", 1));
            assertThat(SQS.inFlight(queue)).as("received, not deleted while JetStream has not stored it").isEqualTo(1);

            stored.complete(null);
            await().atMost(Duration.ofSeconds(30)).until(() -> SQS.inFlight(queue) == 0 && SQS.visible(queue) == 0);
            context.stop.countDown();
            t.join(30_000);
            assertThat(t.isAlive()).isFalse();
        }
    }

    @Test
    void aMessageWhoseObjectsWereNotStoredComesBackAfterItsVisibilityTimeout() throws Exception {
        String queue = SQS.createQueue(1);
        SQS.send(queue, Events.created("bkt", "in/a.txt", 1, "e1"));
        try (SqsFeed feed = feed(queue, 1)) {
            Context failing = new Context(true, objects -> CompletableFuture.failedFuture(new IOException("no JetStream")));
            feed.run(failing);
            assertThat(failing.queued).hasSize(1);
            assertThat(SQS.inFlight(queue) + SQS.visible(queue)).as("not deleted").isEqualTo(1);

            await().atMost(Duration.ofSeconds(30)).until(() -> SQS.visible(queue) == 1);
            Context working = new Context(true, objects -> CompletableFuture.completedFuture(null));
            feed.run(working);
            assertThat(working.queued).singleElement().satisfies(o -> assertThat(o).extracting(Codec::id)
                    .containsExactly("in/a.txt"));
            assertThat(SQS.inFlight(queue) + SQS.visible(queue)).isZero();
        }
    }

    @Test
    void malformedAndForeignNotificationsAreDeadLetteredThenDeletedAndTheTestEventIsDeleted() throws Exception {
        String queue = SQS.createQueue(30);
        SQS.send(queue, "this is not json");
        SQS.send(queue, Events.created("bkt", "out/elsewhere.txt", 1, "e"));
        SQS.send(queue, Events.created("other", "in/x.txt", 1, "e"));
        SQS.send(queue, Events.testEvent("bkt"));
        Context context = new Context(true, objects -> CompletableFuture.completedFuture(null));
        try (SqsFeed feed = feed(queue, 30)) {
            feed.run(context);
        }
        assertThat(context.deadLetters).hasSize(3)
                .anySatisfy(r -> assertThat(r).contains("not JSON"))
                .anySatisfy(r -> assertThat(r).contains("'out/elsewhere.txt' is outside the source's prefix 'in/'"))
                .anySatisfy(r -> assertThat(r).contains("in bucket 'other'"));
        assertThat(context.queued.stream().mapToInt(List::size).sum()).isZero();
        assertThat(SQS.inFlight(queue) + SQS.visible(queue)).as("the queue is drained").isZero();
    }

    @Test
    void aMessageIsKeptWhenItsDeadLetterCannotBeStored() throws Exception {
        String queue = SQS.createQueue(30);
        SQS.send(queue, "garbage");
        Context context = new Context(true, objects -> CompletableFuture.completedFuture(null)) {
            @Override
            public void deadLetter(String id, byte[] body, String reason, String origin) throws IOException {
                throw new IOException("JetStream unavailable");
            }
        };
        try (SqsFeed feed = feed(queue, 30)) {
            feed.run(context);
        }
        assertThat(SQS.inFlight(queue)).as("not deleted: it comes back").isEqualTo(1);
    }
}
