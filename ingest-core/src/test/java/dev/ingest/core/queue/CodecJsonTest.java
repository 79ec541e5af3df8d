package dev.ingest.core.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.api.Codec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CodecJsonTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void roundTripKeepsEveryField() {
        Codec codec = new Codec("s3://bucket/a/b.pdf", "a/b.pdf", new byte[] {0, 1, 2, (byte) 0xff},
                "\"etag-123\"", 4096);

        Codec back = CodecJson.decode(CodecJson.encode(codec));

        assertThat(back).isEqualTo(codec);
        assertThat(back.meta()).containsExactly(0, 1, 2, 0xff);
        assertThat(back.version()).isEqualTo("\"etag-123\"");
        assertThat(back.size()).isEqualTo(4096);
    }

    @Test
    void roundTripKeepsUnicodeNames() {
        Codec codec = Codec.of("id-ü", "Ordner/Größe €.txt", "v1", 0);

        assertThat(CodecJson.decode(CodecJson.encode(codec))).isEqualTo(codec);
    }

    @Test
    void encodingIsAJsonObjectWithBase64Meta() throws Exception {
        Codec codec = new Codec("a", "b", utf8("hi"), "v", 2);

        JsonNode node = new ObjectMapper().readTree(CodecJson.encode(codec));

        assertThat(node.get("id").asText()).isEqualTo("a");
        assertThat(node.get("name").asText()).isEqualTo("b");
        assertThat(node.get("meta").asText()).isEqualTo("aGk=");
        assertThat(node.get("version").asText()).isEqualTo("v");
        assertThat(node.get("size").asLong()).isEqualTo(2);
    }

    @Test
    void minimalCodecEncodesAsTheOriginalToolsFormat() throws Exception {
        JsonNode node = new ObjectMapper().readTree(CodecJson.encode(Codec.of("a", "b")));

        assertThat(node).isEqualTo(new ObjectMapper().readTree("{\"id\":\"a\",\"name\":\"b\"}"));
    }

    @Test
    void zeroSizeIsEncodedAndUnknownSizeIsOmitted() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        assertThat(mapper.readTree(CodecJson.encode(Codec.of("a", "b", "", 0))).get("size").asLong()).isZero();
        assertThat(mapper.readTree(CodecJson.encode(Codec.of("a", "b", "", -1))).has("size")).isFalse();
    }

    @Test
    void decodesTheOriginalToolsMessages() {
        Codec codec = CodecJson.decode(utf8("{\"id\":\"a\",\"name\":\"b\"}"));

        assertThat(codec.id()).isEqualTo("a");
        assertThat(codec.name()).isEqualTo("b");
        assertThat(codec.meta()).isEmpty();
        assertThat(codec.version()).isEmpty();
        assertThat(codec.size()).isEqualTo(-1);
        assertThat(codec).isEqualTo(Codec.of("a", "b"));
    }

    @Test
    void unknownFieldsAndNullOptionalsAreIgnored() {
        Codec codec = CodecJson.decode(utf8(
                "{\"id\":\"a\",\"name\":\"b\",\"meta\":null,\"version\":null,\"size\":null,\"extra\":[1,2]}"));

        assertThat(codec).isEqualTo(Codec.of("a", "b"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            not json at all                                  | message is not JSON
            {"id":"a",                                       | message is not JSON
            ''                                               | not a JSON object
            [{"id":"a","name":"b"}]                          | not a JSON object
            "just a string"                                  | not a JSON object
            {"name":"b"}                                     | no 'id' field
            {"id":"a"}                                       | no 'name' field
            {"id":null,"name":"b"}                           | no 'id' field
            {"id":"a","name":1}                              | field 'name' must be a string
            {"id":{"x":1},"name":"b"}                        | field 'id' must be a string
            {"id":"a","name":"b","version":7}                | field 'version' must be a string
            {"id":"a","name":"b","meta":"not base64!"}       | 'meta' is not valid base64
            {"id":"a","name":"b","meta":42}                  | 'meta' must be a base64 string
            {"id":"a","name":"b","size":-2}                  | 'size' must be a whole number
            {"id":"a","name":"b","size":"12"}                | 'size' must be a whole number
            {"id":"a","name":"b","size":1.5}                 | 'size' must be a whole number
            {"id":" ","name":"b"}                            | id must not be blank
            {"id":"a","name":""}                             | name must not be blank
            """)
    void malformedMessagesAreRejectedWithAHelpfulMessage(String body, String expected) {
        assertThatThrownBy(() -> CodecJson.decode(utf8(body)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(expected);
    }

    @Test
    void emptyBodyIsRejected() {
        assertThatThrownBy(() -> CodecJson.decode(new byte[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("JSON");
    }

    @Test
    void messageIdIsStableForTheSameWorkflowIdAndVersion() {
        Codec codec = Codec.of("a", "b", "v1", 10);

        String id = CodecJson.messageId("wf", codec);

        assertThat(id).hasSize(64).matches("[0-9a-f]{64}");
        assertThat(CodecJson.messageId("wf", Codec.of("a", "b", "v1", 10))).isEqualTo(id);
    }

    @Test
    void messageIdIgnoresNameSizeAndMeta() {
        String id = CodecJson.messageId("wf", Codec.of("a", "b", "v1", 10));

        assertThat(CodecJson.messageId("wf", new Codec("a", "other-name", utf8("m"), "v1", 99))).isEqualTo(id);
    }

    @Test
    void messageIdDiffersWhenTheVersionDiffers() {
        assertThat(CodecJson.messageId("wf", Codec.of("a", "b", "v1", 10)))
                .isNotEqualTo(CodecJson.messageId("wf", Codec.of("a", "b", "v2", 10)));
        assertThat(CodecJson.messageId("wf", Codec.of("a", "b", "v1", 10)))
                .isNotEqualTo(CodecJson.messageId("wf", Codec.of("a", "b")));
    }

    @Test
    void messageIdDiffersWhenTheWorkflowDiffers() {
        Codec codec = Codec.of("a", "b", "v1", 10);

        assertThat(CodecJson.messageId("wf1", codec)).isNotEqualTo(CodecJson.messageId("wf2", codec));
    }

    @Test
    void messageIdDiffersWhenTheIdDiffers() {
        assertThat(CodecJson.messageId("wf", Codec.of("a", "x", "v", 1)))
                .isNotEqualTo(CodecJson.messageId("wf", Codec.of("b", "x", "v", 1)));
    }

    @Test
    void messageIdFieldsCannotBleedIntoEachOther() {
        assertThat(CodecJson.messageId("ab", Codec.of("c", "n")))
                .isNotEqualTo(CodecJson.messageId("a", Codec.of("bc", "n")));
        assertThat(CodecJson.messageId("w", Codec.of("ab", "n", "c", -1)))
                .isNotEqualTo(CodecJson.messageId("w", Codec.of("a", "n", "bc", -1)));
    }

    @Test
    void aWorkflowWithOtherDestinationsHasOtherIds() {
        Codec codec = Codec.of("a", "b", "v1", 10);
        String before = CodecJson.messageId(CodecJson.scope("wf", java.util.List.of("d1")), codec);
        assertThat(CodecJson.messageId(CodecJson.scope("wf", java.util.List.of("d1")), codec)).isEqualTo(before);
        assertThat(CodecJson.messageId(CodecJson.scope("wf", java.util.List.of("d2")), codec)).isNotEqualTo(before);
        assertThat(CodecJson.messageId(CodecJson.scope("wf", java.util.List.of("d1", "d2")), codec))
                .isNotEqualTo(before);
    }
}
