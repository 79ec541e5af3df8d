package dev.ingest.core.plugin;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Inventory;
import dev.ingest.api.Listed;
import dev.ingest.api.FeedContext;
import dev.ingest.api.Nexter;
import dev.ingest.api.ObjectFeed;
import dev.ingest.api.Presence;
import dev.ingest.api.Queryable;
import dev.ingest.api.RecordContext;
import dev.ingest.api.RecordSource;
import dev.ingest.api.ScanContext;
import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.Scan;
import dev.ingest.api.Source;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Wraps sources and destinations so that every call runs with the plugin's class loader as the thread context
 * class loader (libraries inside plugins look up resources and services through it).
 *
 * <p>It also keeps the scans of a source apart: a source that implements {@link Nexter#scan()} hands out
 * independent scans, used as they come; one that implements only the older {@code reset}/{@code next} has a single
 * scan state, so its scans are run one at a time (a second workflow's scan waits until the first one is closed).
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
        boolean ownScans = implementsScan(delegate);
        Semaphore oneScan = new Semaphore(1);
        return new Source() {
            @Override
            public Scan scan() throws IOException {
                return scan(ScanContext.NONE);
            }

            @Override
            public Scan scan(ScanContext context) throws IOException {
                if (ownScans) {
                    return scanOf(in(loader, () -> delegate.scan(context)), loader);
                }
                try {
                    oneScan.acquire();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for another scan of " + delegate);
                }
                try {
                    in(loader, () -> {
                        delegate.reset();
                        return null;
                    });
                } catch (IOException | RuntimeException | Error e) {
                    oneScan.release();
                    throw e;
                }
                AtomicBoolean closed = new AtomicBoolean();
                return new Scan() {
                    @Override
                    public Optional<Codec> next() throws IOException {
                        if (closed.get()) {
                            throw new IllegalStateException("this scan is closed");
                        }
                        return in(loader, delegate::next);
                    }

                    @Override
                    public void close() {
                        if (closed.compareAndSet(false, true)) {
                            oneScan.release();
                        }
                    }
                };
            }

            @Override
            public Optional<ObjectFeed> feed(String workflow) throws IOException {
                return in(loader, () -> delegate.feed(workflow)).map(f -> Isolated.feed(f, loader));
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

    /** Whether a source hands out scans of its own, rather than the default built on {@code reset}/{@code next}. */
    static boolean implementsScan(Nexter source) {
        try {
            return source.getClass().getMethod("scan").getDeclaringClass() != Nexter.class
                    || source.getClass().getMethod("scan", ScanContext.class).getDeclaringClass() != Nexter.class;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    static Scan scanOf(Scan delegate, ClassLoader loader) {
        return new Scan() {
            @Override
            public Optional<Codec> next() throws IOException {
                return in(loader, delegate::next);
            }

            @Override
            public CheckpointUpdate checkpointAfter(Codec codec) {
                return in(loader, () -> delegate.checkpointAfter(codec));
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

    static RecordSource recordSource(RecordSource delegate, ClassLoader loader) {
        return new RecordSource() {
            @Override
            public void run(RecordContext context) throws IOException, InterruptedException {
                Thread thread = Thread.currentThread();
                ClassLoader previous = thread.getContextClassLoader();
                thread.setContextClassLoader(loader);
                try {
                    delegate.run(context);
                } finally {
                    thread.setContextClassLoader(previous);
                }
            }

            @Override
            public boolean reportsReadiness() {
                return in(loader, delegate::reportsReadiness);
            }

            @Override
            public void close() throws IOException {
                in(loader, () -> {
                    delegate.close();
                    return null;
                });
            }

            @Override
            public int shards() {
                return delegate.shards();
            }

            @Override
            public String toString() {
                return delegate.toString();
            }
        };
    }

    static ObjectFeed feed(ObjectFeed delegate, ClassLoader loader) {
        return new ObjectFeed() {
            @Override
            public void run(FeedContext context) throws IOException, InterruptedException {
                Thread thread = Thread.currentThread();
                ClassLoader previous = thread.getContextClassLoader();
                thread.setContextClassLoader(loader);
                try {
                    delegate.run(context);
                } finally {
                    thread.setContextClassLoader(previous);
                }
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
            public Optional<Presence> check(Codec codec) throws IOException {
                return in(loader, () -> delegate.check(codec));
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
            public Optional<Queryable> queries() {
                return in(loader, delegate::queries).map(q -> query -> in(loader, () -> q.query(query)));
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
