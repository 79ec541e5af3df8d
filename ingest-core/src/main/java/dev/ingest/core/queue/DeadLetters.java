package dev.ingest.core.queue;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads and replays a workflow's dead letters ({@code <subject>.dlq.<workflow>}) without a consumer: the stream's
 * direct message API reads them one by one, so listing changes nothing.
 */
public final class DeadLetters {

    private final JetStreamQueue queue;

    /**
     * @param queue a connected queue
     */
    public DeadLetters(JetStreamQueue queue) {
        this.queue = Objects.requireNonNull(queue, "queue");
    }

    /**
     * One dead letter.
     *
     * @param sequence its stream sequence
     * @param time when it was dead-lettered
     * @param object the object's name, or the raw body when it is not a valid message
     * @param reason why it was dead-lettered
     * @param attempts how many attempts were made
     * @param lastError the last error seen
     * @param data the original message body
     */
    public record Letter(long sequence, ZonedDateTime time, String object, String reason, String attempts,
                         String lastError, byte[] data) {
    }

    /**
     * @param workflow the workflow name
     * @return every dead letter of the workflow, oldest first
     * @throws IOException if the stream cannot be read
     */
    public List<Letter> list(String workflow) throws IOException {
        List<Letter> out = new ArrayList<>();
        JetStreamManagement jsm = jsm();
        String subject = queue.settings().deadLetterSubjectOf(workflow);
        long seq = 1;
        while (true) {
            MessageInfo info;
            try {
                info = jsm.getNextMessage(queue.settings().stream(), seq, subject);
            } catch (JetStreamApiException e) {
                if (e.getErrorCode() == 404) {
                    return out;
                }
                throw new IOException("cannot read dead letters of " + workflow + " from stream "
                        + queue.settings().stream() + ": " + e.getMessage(), e);
            }
            if (info == null || !info.isMessage()) {
                return out;
            }
            out.add(letter(info));
            seq = info.getSeq() + 1;
        }
    }

    private static Letter letter(MessageInfo info) {
        byte[] data = info.getData() == null ? new byte[0] : info.getData();
        String object;
        try {
            object = CodecJson.decode(data).name();
        } catch (IllegalArgumentException e) {
            String raw = new String(data, StandardCharsets.UTF_8);
            object = "(malformed) " + (raw.length() > 60 ? raw.substring(0, 60) + "..." : raw);
        }
        Headers h = info.getHeaders();
        return new Letter(info.getSeq(), info.getTime(), object, header(h, JetStreamQueue.HEADER_REASON),
                header(h, JetStreamQueue.HEADER_ATTEMPTS), header(h, JetStreamQueue.HEADER_LAST_ERROR), data);
    }

    private static String header(Headers h, String name) {
        String v = h == null ? null : h.getFirst(name);
        return v == null ? "" : JetStreamQueue.decodeHeader(v);
    }

    /**
     * Puts every dead letter of a workflow back on its subject (with a fresh message id, so the duplicate window
     * does not swallow it) and removes it from the dead letters once the stream has acknowledged the publish.
     *
     * @param workflow the workflow name
     * @return how many were replayed
     * @throws IOException if a publish or removal fails; those not yet replayed stay dead letters
     */
    public int replay(String workflow) throws IOException {
        int n = 0;
        JetStreamManagement jsm = jsm();
        for (Letter letter : list(workflow)) {
            try {
                Headers headers = new Headers();
                headers.put("Ingest-Replayed-From", Long.toString(letter.sequence()));
                queue.connection().jetStream().publish(queue.settings().subjectOf(workflow), headers, letter.data(),
                        PublishOptions.builder().messageId("replay-" + queue.settings().stream() + "-" + letter.sequence())
                                .expectedStream(queue.settings().stream()).build());
                jsm.deleteMessage(queue.settings().stream(), letter.sequence());
                n++;
            } catch (JetStreamApiException e) {
                throw new IOException("replaying dead letter #" + letter.sequence() + " of " + workflow + " failed after "
                        + n + " were replayed: " + e.getMessage(), e);
            }
        }
        return n;
    }

    private JetStreamManagement jsm() throws IOException {
        return queue.connection().jetStreamManagement();
    }
}
