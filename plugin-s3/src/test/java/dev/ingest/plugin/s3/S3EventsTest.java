package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.api.Codec;
import dev.ingest.api.NameFilter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class S3EventsTest {

    private final S3Events events = new S3Events("bkt", "in/", NameFilter.of(List.of(), List.of("*.tmp")));

    private S3Events.Parsed parse(String json) {
        return events.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aCreatedObjectBecomesACodecWithTheKeyDecodedAndSizeAndEtagFromTheEvent() {
        S3Events.Parsed p = parse(Events.created("bkt", "in/dir/a b+ü.txt", 12, "abc"));
        assertThat(p.problem()).isEmpty();
        assertThat(p.objects()).containsExactly(Codec.of("in/dir/a b+ü.txt", "dir/a b+ü.txt", "abc", 12));
    }

    @Test
    void minioEventsAndSnsWrappedEventsAreReadToo() {
        assertThat(parse(Events.minio("bkt", "in/x.log", 3, "e1")).objects())
                .containsExactly(Codec.of("in/x.log", "x.log", "e1", 3));
        String inner = Events.created("bkt", "in/y.log", 4, "e2");
        String sns = "{\"Type\":\"Notification\",\"MessageId\":\"m\",\"Message\":"
                + "\"" + inner.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
        assertThat(parse(sns).objects()).containsExactly(Codec.of("in/y.log", "y.log", "e2", 4));
    }

    @Test
    void theTestEventIsRecognisedAndOtherEventTypesAndFilteredNamesAreLeftOut() {
        assertThat(parse(Events.testEvent("bkt")).test()).isTrue();
        String two = "{\"Records\":[" + Events.record("ObjectRemoved:Delete", "bkt", "in/gone", 0, "")
                + "," + Events.record("ObjectCreated:Copy", "bkt", "in/part.tmp", 1, "t") + "]}";
        S3Events.Parsed p = parse(two);
        assertThat(p.problem()).isEmpty();
        assertThat(p.test()).isFalse();
        assertThat(p.objects()).isEmpty();
    }

    @Test
    void eventsOfAnotherBucketOrPrefixAreProblemsNamingTheObjectWhileTheRestIsKept() {
        String mixed = "{\"Records\":[" + Events.record("ObjectCreated:Put", "other", "in/a", 1, "x")
                + "," + Events.record("ObjectCreated:Put", "bkt", "out/b", 1, "x")
                + "," + Events.record("ObjectCreated:Put", "bkt", "in/c", 1, "x") + "]}";
        S3Events.Parsed p = parse(mixed);
        assertThat(p.objects()).extracting(Codec::id).containsExactly("in/c");
        assertThat(p.problem()).hasValueSatisfying(r -> assertThat(r)
                .contains("Records[0]: object 'in/a' is in bucket 'other', not in the source's 'bkt'")
                .contains("Records[1]: object 'out/b' is outside the source's prefix 'in/'"));
    }

    @Test
    void whatIsNotAnS3EventIsAProblem() {
        assertThat(parse("not json").problem()).hasValueSatisfying(r -> assertThat(r).startsWith("not JSON"));
        assertThat(parse("[1]").problem()).hasValue("not an S3 event notification: the JSON is not an object");
        assertThat(parse("{\"hello\":1}").problem()).hasValue("not an S3 event notification: no Records array");
        assertThat(parse("{\"Records\":[{\"eventName\":\"ObjectCreated:Put\"}]}").problem())
                .hasValueSatisfying(r -> assertThat(r).contains("has no s3.bucket.name or s3.object.key"));
    }
}
