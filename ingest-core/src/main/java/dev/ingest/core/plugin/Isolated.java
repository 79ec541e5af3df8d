package dev.ingest.core.plugin;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Inventory;
import dev.ingest.api.Listed;
import dev.ingest.api.Source;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;

/**
 * Wraps sources and destinations so that every call runs with the plugin's class loader as the thread context
 * class loader (libraries inside plugins look up resources and services through it).
 */
final class Isolated {

    private Isolated() {
    }

    /** A call into a plugin; {@code E} is what it may throw ({@link IOException}, or nothing checked). */
    @FunctionalInterface
    interface IoCall<T, E extends Exception> {
        T call() throws E;
    }

    static <T, E extends Exception> T in(ClassLoader loader, IoCall<T, E> call) throws E {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        if (previous == loader) {
            return call.call();
        }
        thread.setContextClassLoader(loader);
        try {
            return call.call();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    static Source source(Source delegate, ClassLoader loader) {
        return new Source() {
            @Override
            public void reset() throws IOException {
                in(loader, () -> {
                    delegate.reset();
                    return null;
                });
            }

            @Override
            public Optional<Codec> next() throws IOException {
                return in(loader, delegate::next);
            }

            @Override
            public Blob download(Codec codec) throws IOException {
                return in(loader, () -> delegate.download(codec));
            }

            @Override
            public void cleanUp(Codec codec) throws IOException {
                in(loader, () -> {
                    delegate.cleanUp(codec);
                    return null;
                });
            }

            @Override
            public void close() throws IOException {
                in(loader, () -> {
                    delegate.close();
                    return null;
                });
            }

            @Override
            public String toString() {
                return delegate.toString();
            }
        };
    }

    static Inventory inventory(Inventory delegate, ClassLoader loader) {
        return new Inventory() {
            @Override
            public Optional<Listed> next() throws IOException {
                return in(loader, delegate::next);
            }

            @Override
            public void close() throws IOException {
                in(loader, () -> {
                    delegate.close();
                    return null;
                });
            }
        };
    }

    static Destination destination(Destination delegate, ClassLoader loader) {
        return new Destination() {
            @Override
            public Optional<URI> stat(Codec codec) throws IOException {
                return in(loader, () -> delegate.stat(codec));
            }

            @Override
            public URI store(Codec codec, Blob blob) throws IOException {
                return in(loader, () -> delegate.store(codec, blob));
            }

            @Override
            public Optional<Inventory> inventory() throws IOException {
                return in(loader, delegate::inventory).map(i -> Isolated.inventory(i, loader));
            }

            @Override
            public boolean holds(Codec codec, Listed entry) {
                return in(loader, () -> delegate.holds(codec, entry));
            }

            @Override
            public void close() throws IOException {
                in(loader, () -> {
                    delegate.close();
                    return null;
                });
            }

            @Override
            public String toString() {
                return delegate.toString();
            }
        };
    }
}
