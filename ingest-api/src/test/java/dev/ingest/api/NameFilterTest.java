package dev.ingest.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NameFilterTest {

    @Test
    void aGlobWithoutSlashMatchesTheLastPartAtAnyDepth() {
        NameFilter f = NameFilter.of(List.of("*.pdf"), List.of());
        assertThat(f.selected("a.pdf")).isTrue();
        assertThat(f.selected("2026/01/a.pdf")).isTrue();
        assertThat(f.selected("2026/01/a.txt")).isFalse();
        assertThat(f.selected("a.pdf/b.txt")).as("only the last part counts").isFalse();
    }

    @Test
    void aGlobWithSlashMatchesTheWholeName() {
        NameFilter f = NameFilter.of(List.of("invoices/**"), List.of());
        assertThat(f.selected("invoices/2026/a.pdf")).isTrue();
        assertThat(f.selected("other/invoices/a.pdf")).isFalse();
        assertThat(f.selected("invoices")).isFalse();
    }

    @Test
    void exclusionsWinOverInclusionsAndNoInclusionSelectsEverything() {
        NameFilter both = NameFilter.of(List.of("*.log"), List.of("debug-*", "tmp/**"));
        assertThat(both.selected("app.log")).isTrue();
        assertThat(both.selected("x/debug-1.log")).isFalse();
        assertThat(both.selected("tmp/app.log")).isFalse();
        NameFilter excludeOnly = NameFilter.of(List.of(), List.of("*.part"));
        assertThat(excludeOnly.selected("a/b.bin")).isTrue();
        assertThat(excludeOnly.selected("a/b.part")).isFalse();
        assertThat(NameFilter.all().selectsAll()).isTrue();
        assertThat(NameFilter.of(List.of(), List.of())).isSameAs(NameFilter.all());
    }

    @Test
    void namesAndPathsAreMatchedAlikeAndEmptyPartsAreIgnored() {
        NameFilter f = NameFilter.of(List.of("a/*/c.txt"), List.of());
        assertThat(f.selected(Path.of("a", "b", "c.txt"))).isTrue();
        assertThat(f.selected("a/b/c.txt")).isTrue();
        assertThat(f.selected("a//b/c.txt")).isTrue();
    }

    @Test
    void aNameThatIsNoPathMatchesNoGlob() {
        assertThat(NameFilter.of(List.of("*"), List.of()).selected("a\0b")).isFalse();
        assertThat(NameFilter.of(List.of(), List.of("*")).selected("a\0b")).isTrue();
    }

    @Test
    void parseReportsEveryBadGlobByItsIndex() {
        PluginConfig config = PluginConfig.of("src", Map.of("include", List.of("*.pdf", "[unclosed", " "),
                "exclude", "/abs/*"));
        NameFilter f = NameFilter.parse(config);
        assertThat(config.problems()).anySatisfy(p -> assertThat(p).startsWith("include[1]: '[unclosed' is not a valid glob"))
                .anySatisfy(p -> assertThat(p).isEqualTo("include[2]: must not be empty"))
                .anySatisfy(p -> assertThat(p).startsWith("exclude[0]: '/abs/*' must be relative"))
                .hasSize(3);
        assertThatThrownBy(config::validate).isInstanceOf(ConfigException.class);
        assertThat(f.selected("x.pdf")).isTrue();
    }

    @Test
    void ofRefusesAnInvalidGlob() {
        assertThatThrownBy(() -> NameFilter.of(List.of("[x"), List.of()))
                .isInstanceOf(java.util.regex.PatternSyntaxException.class);
    }
}
