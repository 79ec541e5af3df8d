package dev.ingest.plugin.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class LinkHeaderTest {

    @Test
    void findsTheNextLinkAmongOthers() {
        assertThat(LinkHeader.next(List.of(
                "<https://api.example.com/items?page=1>; rel=\"prev\", <https://api.example.com/items?page=3>; rel=\"next\", "
                        + "<https://api.example.com/items?page=9>; rel=\"last\"")))
                .contains("https://api.example.com/items?page=3");
    }

    @Test
    void acceptsUnquotedCaseInsensitiveAndMultipleRelationTypes() {
        assertThat(LinkHeader.next(List.of("</items?page=2>; rel=NEXT"))).contains("/items?page=2");
        assertThat(LinkHeader.next(List.of("<p2>; title=\"a, b; c\"; rel=\"last next\""))).contains("p2");
    }

    @Test
    void readsEveryLinkHeaderAndKeepsCommasInsideTargets() {
        assertThat(LinkHeader.next(List.of("<https://h/a,b>; rel=prev", "<https://h/c,d?x=1;y=2>; rel=\"next\"")))
                .contains("https://h/c,d?x=1;y=2");
    }

    @Test
    void findsNothingWithoutANextRelation() {
        assertThat(LinkHeader.next(List.of())).isEmpty();
        assertThat(LinkHeader.next(List.of("<https://h/1>; rel=\"prev\"", "garbage", "<unterminated; rel=next"))).isEmpty();
        assertThat(LinkHeader.next(List.of("<https://h/1>; rel=\"nextish\""))).isEmpty();
    }
}
