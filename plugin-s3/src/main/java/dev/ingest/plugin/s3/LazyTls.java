package dev.ingest.plugin.s3;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.client5.http.ssl.DefaultHostnameVerifier;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.protocol.HttpContext;
import software.amazon.awssdk.http.SystemPropertyTlsKeyManagersProvider;

/**
 * TLS for a client whose endpoint is plain http, set up on first use: the SDK's HTTP client otherwise builds an
 * SSL context at start-up (loading the JDK's trust store, about 50 ms of CPU) that such a client never uses. Should
 * a connection need TLS after all (a proxy, a redirect), it gets what the SDK would have made: the JDK's default
 * trust managers, key managers from the {@code javax.net.ssl.keyStore} properties and host name verification.
 */
final class LazyTls implements TlsSocketStrategy {

    private volatile TlsSocketStrategy delegate;

    @Override
    public SSLSocket upgrade(Socket socket, String target, int port, Object attachment, HttpContext context)
            throws IOException {
        return delegate().upgrade(socket, target, port, attachment, context);
    }

    private TlsSocketStrategy delegate() throws IOException {
        TlsSocketStrategy d = delegate;
        if (d == null) {
            synchronized (this) {
                d = delegate;
                if (d == null) {
                    try {
                        SSLContext context = SSLContext.getInstance("TLS");
                        context.init(SystemPropertyTlsKeyManagersProvider.create().keyManagers(), null, null);
                        d = new DefaultClientTlsStrategy(context, new DefaultHostnameVerifier());
                    } catch (GeneralSecurityException e) {
                        throw new IOException("cannot set up TLS: " + e.getMessage(), e);
                    }
                    delegate = d;
                }
            }
        }
        return d;
    }
}
