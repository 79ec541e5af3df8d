package dev.ingest.core.queue;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HeaderEncodingTest {

    @Test
    void nonAsciiLineBreaksAndPercentSurviveAsPrintableAscii() {
        String reason = "file 'données/élément 1.bin' no longer exists\nat 100%";
        String encoded = JetStreamQueue.encodeHeader(reason);
        assertThat(encoded.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
        assertThat(JetStreamQueue.decodeHeader(encoded)).isEqualTo(reason);
    }

    @Test
    void plainAsciiIsLeftReadable() {
        assertThat(JetStreamQueue.encodeHeader("gave up after 3 attempts")).isEqualTo("gave up after 3 attempts");
    }
}
