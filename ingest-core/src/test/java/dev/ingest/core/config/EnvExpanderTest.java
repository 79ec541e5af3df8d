package dev.ingest.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnvExpanderTest {

    private final EnvExpander env = EnvExpander.of(Map.of(
            "S3_KEY", "AKIA123",
            "HOST", "minio",
            "PORT", "9000",
            "EMPTY", ""));

    @Test
    void textWithoutDollarIsReturnedUnchanged() throws Exception {
        assertThat(env.expand("plain text {braces}")).isEqualTo("plain text {braces}");
    }

    @Test
    void referenceIsReplacedByTheVariable() throws Exception {
        assertThat(env.expand("${S3_KEY}")).isEqualTo("AKIA123");
    }

    @Test
    void severalReferencesAndSurroundingTextAreExpanded() throws Exception {
        assertThat(env.expand("http://${HOST}:${PORT}/bucket")).isEqualTo("http://minio:9000/bucket");
    }

    @Test
    void defaultIsUsedWhenVariableIsUnset() throws Exception {
        assertThat(env.expand("${NOT_SET:-fallback}")).isEqualTo("fallback");
    }

    @Test
    void defaultIsUsedWhenVariableIsEmpty() throws Exception {
        assertThat(env.expand("${EMPTY:-fallback}")).isEqualTo("fallback");
    }

    @Test
    void defaultIsIgnoredWhenVariableIsSet() throws Exception {
        assertThat(env.expand("${HOST:-localhost}")).isEqualTo("minio");
    }

    @Test
    void emptyDefaultIsAllowed() throws Exception {
        assertThat(env.expand("a${NOT_SET:-}b")).isEqualTo("ab");
    }

    @Test
    void defaultMayContainColonsAndSlashes() throws Exception {
        assertThat(env.expand("${NOT_SET:-http://localhost:8080/x}")).isEqualTo("http://localhost:8080/x");
    }

    @Test
    void setButEmptyVariableWithoutDefaultExpandsToEmpty() throws Exception {
        assertThat(env.expand("[${EMPTY}]")).isEqualTo("[]");
    }

    @Test
    void doubleDollarIsALiteralDollar() throws Exception {
        assertThat(env.expand("price: $$5")).isEqualTo("price: $5");
        assertThat(env.expand("$${S3_KEY}")).isEqualTo("${S3_KEY}");
        assertThat(env.expand("$$$$")).isEqualTo("$$");
    }

    @Test
    void loneDollarNotFollowedByBraceIsKeptAsIs() throws Exception {
        assertThat(env.expand("$HOME and $")).isEqualTo("$HOME and $");
    }

    @Test
    void expandedValuesAreNotExpandedAgain() throws Exception {
        EnvExpander e = EnvExpander.of(Map.of("A", "${B}", "B", "nope"));
        assertThat(e.expand("${A}")).isEqualTo("${B}");
    }

    @Test
    void unsetVariableWithoutDefaultIsAnErrorNamingTheVariable() {
        assertThatThrownBy(() -> env.expand("key=${S3_SECRET}"))
                .isInstanceOf(EnvExpander.ExpansionException.class)
                .hasMessageContaining("S3_SECRET")
                .hasMessageContaining("not set");
    }

    @Test
    void unterminatedReferenceIsAnError() {
        assertThatThrownBy(() -> env.expand("abc ${S3_KEY"))
                .isInstanceOf(EnvExpander.ExpansionException.class)
                .hasMessageContaining("unterminated")
                .hasMessageContaining("${");
    }

    @Test
    void trailingDollarBraceIsAnError() {
        assertThatThrownBy(() -> env.expand("abc ${"))
                .isInstanceOf(EnvExpander.ExpansionException.class)
                .hasMessageContaining("unterminated");
    }

    @ParameterizedTest
    @ValueSource(strings = {"${}", "${1ABC}", "${A-B}", "${A B}", "${:-x}", "${A.B}"})
    void invalidVariableNameIsAnError(String text) {
        assertThatThrownBy(() -> env.expand(text))
                .isInstanceOf(EnvExpander.ExpansionException.class)
                .hasMessageContaining("not a valid variable reference")
                .hasMessageContaining(text);
    }

    @Test
    void underscoresAndDigitsAreValidInNames() throws Exception {
        EnvExpander e = EnvExpander.of(Map.of("_A1_B2", "ok"));
        assertThat(e.expand("${_A1_B2}")).isEqualTo("ok");
    }

    @Test
    void systemExpanderReadsTheProcessEnvironment() throws Exception {
        String path = System.getenv("PATH");
        assumeTrue(path != null && !path.isEmpty(), "PATH is set");
        assertThat(EnvExpander.system().expand("${PATH}")).isEqualTo(path);
    }
}
