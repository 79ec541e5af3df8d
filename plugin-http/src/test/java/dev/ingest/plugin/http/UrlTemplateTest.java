package dev.ingest.plugin.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

class UrlTemplateTest {

    private static final HttpUrl BASE = HttpUrl.get("https://api.example.com/v1/list?page=1");

    @Test
    void encodesEachPathSegmentOfANameAndKeepsTheSlashes() {
        assertThat(UrlTemplate.encodePath("a b/c.txt")).isEqualTo("a%20b/c.txt");
        assertThat(UrlTemplate.encodePath("dossier é/a b.txt")).isEqualTo("dossier%20%C3%A9/a%20b.txt");
        assertThat(UrlTemplate.encodePath("x+y?z#w%&=;:@!*'()")).isEqualTo("x%2By%3Fz%23w%25%26%3D%3B%3A%40%21%2A%27%28%29");
        assertThat(UrlTemplate.encodePath("keep-._~AZaz09")).isEqualTo("keep-._~AZaz09");
        assertThat(UrlTemplate.encodePath("日本/😀")).isEqualTo("%E6%97%A5%E6%9C%AC/%F0%9F%98%80");
    }

    @Test
    void refusesNamesWhoseSegmentsAServerWouldResolve() {
        for (String unsafe : List.of("", "/abs", "a//b", "a/", "../x", "a/./b", "a/..", ".")) {
            assertThat(UrlTemplate.whyUnsafe(unsafe)).as(unsafe).isNotNull();
            assertThatThrownBy(() -> UrlTemplate.encodePath(unsafe)).as(unsafe)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(UrlTemplate.whyUnsafe("..a/b..c/.hidden")).isNull();
    }

    @Test
    void expandsNamesIntoTheTemplateAndResolvesRelativeResults() {
        List<String> problems = new ArrayList<>();
        UrlTemplate absolute = UrlTemplate.parse("https://files.example.com/up/{name}", Set.of("name"), problems);
        UrlTemplate relative = UrlTemplate.parse("../files/{id}/content", Set.of("id", "name"), problems);
        assertThat(problems).isEmpty();

        assertThat(absolute.expand(BASE, Map.of("name", "dossier é/a b.txt")).toString())
                .isEqualTo("https://files.example.com/up/dossier%20%C3%A9/a%20b.txt");
        assertThat(relative.expand(BASE, Map.of("id", "42", "name", "n")).toString())
                .isEqualTo("https://api.example.com/files/42/content");
    }

    @Test
    void insertsTheUrlPlaceholderAsItIs() {
        UrlTemplate template = UrlTemplate.parse("{url}", Set.of("url", "id"), new ArrayList<>());
        assertThat(template.expand(BASE, Map.of("url", "https://cdn.example.com/a%20b?x=1", "id", "1")).toString())
                .isEqualTo("https://cdn.example.com/a%20b?x=1");
    }

    @Test
    void reportsUnknownPlaceholders() {
        List<String> problems = new ArrayList<>();
        UrlTemplate.parse("https://h/{nmae}/{id}", Set.of("id", "name"), problems);
        assertThat(problems).singleElement().asString().contains("{nmae}").contains("{id}, {name}");
    }

    @Test
    void tellsWhetherAPlaceholderIsInThePath() {
        assertThat(UrlTemplate.parse("https://h/up/{name}", Set.of("name"), new ArrayList<>()).usesInPath("name")).isTrue();
        assertThat(UrlTemplate.parse("https://h/up?key={name}", Set.of("name"), new ArrayList<>()).usesInPath("name")).isFalse();
        assertThat(UrlTemplate.parse("https://h/{name}?k={name}", Set.of("name"), new ArrayList<>()).usesInPath("name")).isFalse();
    }
}
