package dev.ingest.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The copy counters read back per workflow, as the REST API shows them, without adding series. */
class IngestMetricsTest {

    @Test
    void copiedObjectsAndBytesAreReadBackPerWorkflow() throws Exception {
        IngestMetrics metrics = IngestMetrics.withoutJvm();
        metrics.copied("a", 10);
        metrics.copied("a", 5);
        metrics.copied("b", 7);
        assertThat(metrics.objectsCopied("a")).isEqualTo(2);
        assertThat(metrics.bytesCopied("a")).isEqualTo(15);
        assertThat(metrics.objectsCopied("b")).isEqualTo(1);
        assertThat(metrics.bytesCopied("b")).isEqualTo(7);
        assertThat(metrics.objectsCopied("none")).isZero();
        assertThat(metrics.bytesCopied("none")).isZero();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.writeTo(out);
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("workflow=\"none\"");
    }
}
