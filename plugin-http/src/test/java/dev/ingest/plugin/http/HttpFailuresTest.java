package dev.ingest.plugin.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.api.PoisonException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;

import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

class HttpFailuresTest {

    @Test
    void hidesPasswordsAndCredentialLikeQueryValuesInMessages() {
        String shown = HttpFailures.forLog(HttpUrl.get(
                "https://u:pw@h.example/p?page=2&access_token=abc&X-Amz-Signature=def&apiKey=ghi&sort=name"));
        assertThat(shown).doesNotContain("pw").doesNotContain("abc").doesNotContain("def").doesNotContain("ghi")
                .contains("page=2").contains("sort=name").contains("access_token=REDACTED");
        assertThat(HttpFailures.forLog(HttpUrl.get("https://h.example/a%20b?page=2")))
                .isEqualTo("https://h.example/a%20b?page=2");
    }

    @Test
    void retriesServerErrorsTimeoutsAndThrottlingOnly() {
        assertThat(HttpFailures.isRetryable(500)).isTrue();
        assertThat(HttpFailures.isRetryable(503)).isTrue();
        assertThat(HttpFailures.isRetryable(408)).isTrue();
        assertThat(HttpFailures.isRetryable(429)).isTrue();
        assertThat(HttpFailures.isRetryable(400)).isFalse();
        assertThat(HttpFailures.isRetryable(403)).isFalse();
        assertThat(HttpFailures.isRetryable(404)).isFalse();
    }

    @Test
    void reportsATimeoutAsAPlainIoExceptionSoThatItIsNotTakenForAShutdown() {
        IOException e = HttpFailures.io("GET", HttpUrl.get("https://h.example/x"), new SocketTimeoutException("timeout"));
        assertThat(e).isNotInstanceOf(InterruptedIOException.class).hasMessageContaining("GET https://h.example/x timed out")
                .hasCauseInstanceOf(SocketTimeoutException.class);
    }

    @Test
    void keepsPoisonAndRealInterruptsAsTheyAre() {
        PoisonException poison = new PoisonException("gone");
        assertThat(HttpFailures.io("GET", HttpUrl.get("https://h.example/x"), poison)).isSameAs(poison);
        InterruptedIOException interrupt = new InterruptedIOException("interrupted");
        Thread.currentThread().interrupt();
        try {
            assertThat(HttpFailures.io("GET", HttpUrl.get("https://h.example/x"), interrupt)).isSameAs(interrupt);
        } finally {
            Thread.interrupted();
        }
    }
}
