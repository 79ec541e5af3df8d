package dev.ingest.plugin.s3;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A real SQS API server in-process for the class's tests: ElasticMQ (Maven Central), on a free port of 127.0.0.1,
 * with a client. Each test creates queues of its own.
 */
final class SqsServerExtension implements BeforeAllCallback, AfterAllCallback {

    private static final AtomicInteger QUEUES = new AtomicInteger();

    private SQSRestServer server;
    private int port;
    private SqsClient client;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        server = SQSRestServerBuilder.withPort(port).withInterface("127.0.0.1")
                .withServerAddress(new NodeAddress("http", "127.0.0.1", port, "")).start();
        server.waitUntilStarted();
        client = SqsClient.builder().endpointOverride(endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
                .httpClientBuilder(Apache5HttpClient.builder()).build();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.stopAndWait();
        }
    }

    /** @return the server's endpoint */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** @return a client of the server */
    SqsClient client() {
        return client;
    }

    /**
     * Creates a queue.
     *
     * @param visibilityTimeoutSeconds the queue's default visibility timeout
     * @return its URL
     */
    String createQueue(int visibilityTimeoutSeconds) {
        String name = "notify-" + QUEUES.incrementAndGet();
        return client.createQueue(b -> b.queueName(name).attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT,
                Integer.toString(visibilityTimeoutSeconds)))).queueUrl();
    }

    /** @return messages waiting (visible) in a queue */
    long visible(String queueUrl) {
        return attribute(queueUrl, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES);
    }

    /** @return messages received and neither deleted nor visible again */
    long inFlight(String queueUrl) {
        return attribute(queueUrl, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE);
    }

    private long attribute(String queueUrl, QueueAttributeName name) {
        return Long.parseLong(client.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(name))
                .attributes().get(name));
    }

    /** Sends a message. */
    void send(String queueUrl, String body) {
        client.sendMessage(b -> b.queueUrl(queueUrl).messageBody(body));
    }
}
