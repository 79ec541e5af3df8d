package dev.ingest.core.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.Query;
import dev.ingest.api.QueryPage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QueryJsonTest {

    private static Query parse(String json) {
        return QueryJson.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void logIngestorFiltersAreReadUnchanged() {
        Query q = parse("{\"key\":\"level\",\"value\":\"error\",\"operation\":\"equals\"}");
        assertThat(q.filters()).containsExactly(Query.Filter.equalTo("level", "error"));
        assertThat(q.limit()).isEqualTo(Query.DEFAULT_LIMIT);
        assertThat(parse("{\"key\":\"message\",\"value\":\"DB\",\"operation\":\"contains\"}").filters())
                .containsExactly(Query.Filter.contains("message", "DB"));
        assertThat(parse("{\"key\":\"timestamp\",\"operation\":\"range\",\"lower_range\":\"2023-09-10T00:00:00Z\","
                + "\"upper_range\":\"2023-09-15T23:59:59Z\"}").filters())
                .containsExactly(Query.Filter.range("timestamp", "2023-09-10T00:00:00Z", "2023-09-15T23:59:59Z"));
    }

    @Test
    void combinedQueriesCarryTheirMatchLimitAndCursor() {
        Query q = parse("{\"filters\":[{\"key\":\"level\",\"value\":\"error\",\"operation\":\"equals\"},"
                + "{\"key\":\"code\",\"value\":500,\"operation\":\"equals\"}],\"match\":\"any\",\"limit\":7,"
                + "\"after\":\"abc\"}");
        assertThat(q.any()).isTrue();
        assertThat(q.limit()).isEqualTo(7);
        assertThat(q.after()).hasValue("abc");
        assertThat(q.filters()).containsExactly(Query.Filter.equalTo("level", "error"),
                Query.Filter.equalTo("code", "500"));
        assertThat(parse("{\"filters\":[]}").any()).isFalse();
        assertThat(parse("{}").filters()).isEmpty();
    }

    @Test
    void malformedQueriesNameTheField() {
        assertThatThrownBy(() -> parse("{")).hasMessageStartingWith("body: malformed JSON");
        assertThatThrownBy(() -> parse("[]")).hasMessageStartingWith("body:");
        assertThatThrownBy(() -> parse("{\"key\":\"a\",\"value\":\"b\",\"operation\":\"like\"}"))
                .hasMessageStartingWith("operation:");
        assertThatThrownBy(() -> parse("{\"value\":\"b\"}")).hasMessageStartingWith("key:");
        assertThatThrownBy(() -> parse("{\"key\":\"a\",\"operation\":\"equals\"}")).hasMessageStartingWith("value:");
        assertThatThrownBy(() -> parse("{\"key\":\"a\",\"operation\":\"range\"}"))
                .hasMessageStartingWith("lower_range:");
        assertThatThrownBy(() -> parse("{\"filters\":{}}")).hasMessageStartingWith("filters:");
        assertThatThrownBy(() -> parse("{\"filters\":[{\"key\":\"a\",\"value\":{}}]}"))
                .hasMessageStartingWith("filters[0].value:");
        assertThatThrownBy(() -> parse("{\"filters\":[{\"key\":\"a\",\"value\":\"x\",\"oops\":1}]}"))
                .hasMessageStartingWith("filters[0].oops:");
        assertThatThrownBy(() -> parse("{\"filters\":[],\"match\":\"some\"}")).hasMessageStartingWith("match:");
        assertThatThrownBy(() -> parse("{\"limit\":10001}")).hasMessageStartingWith("limit:");
        assertThatThrownBy(() -> parse("{\"limit\":0}")).hasMessageStartingWith("limit:");
        assertThatThrownBy(() -> parse("{\"after\":5}")).hasMessageStartingWith("after:");
        assertThatThrownBy(() -> parse("{\"kee\":\"a\"}")).hasMessageStartingWith("kee:");
    }

    @Test
    void theAnswerCarriesTheCountTheRecordsAndTheCursor() {
        String a = new String(QueryJson.answer(new QueryPage(List.of("{\"a\":1}", "{\"b\":\"x\"}"),
                Optional.of("cur"))), StandardCharsets.UTF_8);
        assertThat(a).isEqualTo("{\"count\":2,\"records\":[{\"a\":1},{\"b\":\"x\"}],\"next\":\"cur\"}");
        assertThat(new String(QueryJson.answer(new QueryPage(List.of(), Optional.empty())), StandardCharsets.UTF_8))
                .isEqualTo("{\"count\":0,\"records\":[],\"next\":null}");
    }
}
