package dev.ingest.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    static Stream<Arguments> validDurations() {
        return Stream.of(
                Arguments.of("300s", Duration.ofSeconds(300)),
                Arguments.of("5m", Duration.ofMinutes(5)),
                Arguments.of("1h", Duration.ofHours(1)),
                Arguments.of("1h30m", Duration.ofMinutes(90)),
                Arguments.of("250ms", Duration.ofMillis(250)),
                Arguments.of("2d", Duration.ofDays(2)),
                Arguments.of("0", Duration.ZERO),
                Arguments.of("1h0m5s", Duration.ofSeconds(3605)),
                Arguments.of("1500us", Duration.ofNanos(1_500_000)),
                Arguments.of("1500µs", Duration.ofNanos(1_500_000)),
                Arguments.of("10ns", Duration.ofNanos(10)),
                Arguments.of("1.5h", Duration.ofMinutes(90)),
                Arguments.of("  30s  ", Duration.ofSeconds(30)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("validDurations")
    void parsesGoStyleDurations(String text, Duration expected) {
        assertThat(Durations.parse(text)).contains(expected);
    }

    @Test
    void millisecondsAreNotMistakenForMinutes() {
        assertThat(Durations.parse("5ms")).contains(Duration.ofMillis(5));
        assertThat(Durations.parse("5m")).contains(Duration.ofMinutes(5));
    }

    @ParameterizedTest(name = "{0} -> exact")
    @ValueSource(strings = {"2.01s", "2.03s", "2.07s", "4.35s", "0.1s", "0.07s"})
    void fractionalDurationsAreExactToTheNanosecond(String text) {
        long expectedMillis = Math.round(Double.parseDouble(text.substring(0, text.length() - 1)) * 1000);
        assertThat(Durations.parse(text)).contains(Duration.ofMillis(expectedMillis));
    }

    @ParameterizedTest(name = "\"{0}\" is rejected")
    @ValueSource(strings = {"tenminutes", "5", "", "   ", "m5", "5 m", "-5m", "5mm", "1h30", "5x", "s", "1.s", ".5s"})
    void rejectsTextThatIsNotADuration(String text) {
        assertThat(Durations.parse(text)).isEmpty();
    }

    @ParameterizedTest
    @NullSource
    void rejectsNull(String text) {
        assertThat(Durations.parse(text)).isEmpty();
    }

    static Stream<Arguments> formatted() {
        return Stream.of(
                Arguments.of(Duration.ZERO, "0s"),
                Arguments.of(Duration.ofSeconds(300), "5m"),
                Arguments.of(Duration.ofMinutes(90), "1h30m"),
                Arguments.of(Duration.ofSeconds(3605), "1h5s"),
                Arguments.of(Duration.ofMillis(250), "250ms"),
                Arguments.of(Duration.ofMillis(1500), "1500ms"),
                Arguments.of(Duration.ofDays(2), "48h"),
                Arguments.of(Duration.ofSeconds(59), "59s"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("formatted")
    void formatsTheWayParseReads(Duration duration, String expected) {
        assertThat(Durations.format(duration)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} round-trips")
    @ValueSource(strings = {"300s", "5m", "1h", "1h30m", "250ms", "2d", "0", "90s", "1500ms", "25h1m1s", "1.5h", "2.01s"})
    void formatRoundTripsThroughParse(String text) {
        Duration parsed = Durations.parse(text).orElseThrow();
        String formatted = Durations.format(parsed);
        assertThat(Durations.parse(formatted)).as("parse(format(parse(%s))) = parse(%s)", text, formatted)
                .contains(parsed);
    }
}
