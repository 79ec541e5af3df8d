package dev.ingest.plugin.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.DataRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PushBodyTest {

    private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
    private final PushBody body = new PushBody(new JsonFields(JsonFields.pointer("timestamp"),
            Map.of("level", JsonFields.pointer("/level"), "parent", JsonFields.pointer("/metadata/parent"))));

    private List<DataRecord> parse(String text, PushBody.Form form) throws PushBody.Rejected {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return body.parse(b, b.length, form, NOW, 1 << 20);
    }

    @Test
    void contentTypesChooseTheForm() {
        assertThat(PushBody.form("application/json; charset=utf-8")).hasValue(PushBody.Form.JSON);
        assertThat(PushBody.form("application/vnd.api+json")).hasValue(PushBody.Form.JSON);
        assertThat(PushBody.form(null)).hasValue(PushBody.Form.JSON);
        assertThat(PushBody.form("Application/X-NDJSON")).hasValue(PushBody.Form.NDJSON);
        assertThat(PushBody.form("text/plain")).isEmpty();
        assertThat(PushBody.form("application/x-www-form-urlencoded")).isEmpty();
    }

    @Test
    void timesAndAttributesComeFromTheObject() throws Exception {
        List<DataRecord> r = parse("[{\"timestamp\":\"2023-09-15T08:00:00+02:00\",\"level\":\"error\","
                + "\"metadata\":{\"parent\":{\"id\":1}}},{\"timestamp\":1694764800000,\"level\":5},"
                + "{\"timestamp\":null},{\"timestamp\":\"2023-09-15 08:00:00.5z\"}]", PushBody.Form.JSON);
        assertThat(r).extracting(DataRecord::time).containsExactly(Instant.parse("2023-09-15T06:00:00Z"),
                Instant.ofEpochMilli(1694764800000L), NOW, Instant.parse("2023-09-15T08:00:00.5Z"));
        assertThat(r.get(0).attributes()).isEqualTo(Map.of("level", "error", "parent", "{\"id\":1}"));
        assertThat(r.get(1).attributes()).isEqualTo(Map.of("level", "5"));
        assertThat(new String(r.get(0).data(), StandardCharsets.UTF_8)).doesNotContain(" ").startsWith("{");
    }

    @Test
    void numbersKeepTheirDigits() throws Exception {
        List<DataRecord> r = parse("{\"big\":12345678901234567890123,\"f\":0.1000000000000000055511151231257827}",
                PushBody.Form.JSON);
        assertThat(new String(r.get(0).data(), StandardCharsets.UTF_8))
                .contains("12345678901234567890123").contains("0.1000000000000000055511151231257827");
    }

    @Test
    void refusalsNameTheLineOrElement() {
        assertThatThrownBy(() -> parse("{\"a\":1}\n{\"a\":2} {\"a\":3}\n", PushBody.Form.NDJSON))
                .hasMessageContaining("line 2");
        assertThatThrownBy(() -> parse("\n\n  \n", PushBody.Form.NDJSON)).hasMessageContaining("empty");
        assertThatThrownBy(() -> parse("{\"a\":1} {\"b\":2}", PushBody.Form.JSON)).hasMessageContaining("malformed");
        assertThatThrownBy(() -> parse("[{},[]]", PushBody.Form.JSON)).hasMessageContaining("element 1");
        assertThatThrownBy(() -> parse("{\"timestamp\":true}", PushBody.Form.JSON))
                .hasMessageContaining("the object").hasMessageContaining("timestamp");
        assertThatThrownBy(() -> {
            byte[] big = ("{\"a\":\"" + "x".repeat(2000) + "\"}").getBytes(StandardCharsets.UTF_8);
            body.parse(big, big.length, PushBody.Form.JSON, NOW, 1000);
        }).isInstanceOfSatisfying(PushBody.Rejected.class, e -> assertThat(e.status).isEqualTo(413));
    }
}
