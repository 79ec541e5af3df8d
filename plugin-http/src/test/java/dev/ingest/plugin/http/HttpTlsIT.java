package dev.ingest.plugin.http;

import static dev.ingest.plugin.http.Configs.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.Codec;
import dev.ingest.api.Scan;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Source;

import java.io.IOException;
import java.util.Optional;

import javax.net.ssl.SSLException;

import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** TLS against an HTTPS server whose certificate no trusted authority signed. */
class HttpTlsIT {

    private final MockWebServer server = new MockWebServer();

    @BeforeEach
    void start() throws IOException {
        HeldCertificate selfSigned = new HeldCertificate.Builder().commonName("ingest test")
                .addSubjectAlternativeName("localhost").addSubjectAlternativeName("127.0.0.1").build();
        server.useHttps(new HandshakeCertificates.Builder().heldCertificate(selfSigned).build().sslSocketFactory());
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void refusesAnUntrustedCertificateByDefaultAsARetryableError() throws Exception {
        try (Source source = new HttpPluginProvider().createSource(config("api", "url", server.url("/list").toString()))) {
            assertThatThrownBy(source::scan).isInstanceOf(IOException.class).isNotInstanceOf(PoisonException.class)
                    .hasMessageContaining("GET " + server.url("/list") + " failed")
                    .hasCauseInstanceOf(SSLException.class);
        }
        assertThat(server.getRequestCount()).isZero();
    }

    @Test
    void acceptsItWithInsecureSkipVerify() throws Exception {
        server.enqueue(new MockResponse.Builder().body("[{\"id\": \"1\", \"url\": \"/f/1\"}]").build());
        try (Source source = new HttpPluginProvider().createSource(config("api", "url", server.url("/list").toString(),
                "insecureSkipVerify", true))) {
            Scan scan = source.scan();
            Optional<Codec> first = scan.next();
            assertThat(first).map(Codec::id).contains("1");
        }
    }
}
