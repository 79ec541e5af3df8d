package dev.ingest.testkit;

import dev.ingest.core.nats.NatsServerProcess;
import java.io.IOException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A real {@code nats-server} with JetStream for a test class: started before all tests on a free loopback port
 * with a temporary store, stopped and deleted after them. Tests can {@link NatsServerProcess#stop() stop},
 * {@link NatsServerProcess#kill() kill} and {@link NatsServerProcess#restart() restart} it on the same port
 * and store.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final NatsServerExtension NATS = new NatsServerExtension();
 *
 * @Test
 * void copies(NatsServerProcess nats) { ... nats.url() ... }
 * }</pre>
 *
 * <p>If the binary is missing, the tests fail (they are not skipped) with a message saying how to install it.
 */
public final class NatsServerExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    private NatsServerProcess server;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        if (server == null) {
            server = NatsServerProcess.start();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** @return the running server */
    public NatsServerProcess server() {
        if (server == null) {
            throw new IllegalStateException("the nats-server is started before all tests; register the extension "
                    + "on a static field with @RegisterExtension");
        }
        return server;
    }

    /** @return the client URL of the server */
    public String url() {
        return server().url();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == NatsServerProcess.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext)
            throws ParameterResolutionException {
        return server();
    }
}
