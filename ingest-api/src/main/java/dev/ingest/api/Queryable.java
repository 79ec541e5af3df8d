package dev.ingest.api;

import java.io.IOException;

/**
 * An optional capability of a destination: it answers filter queries over the records it stored (the
 * {@code postgres} destination, with SQL and indexes). Offered through {@link Destination#queries()}; the engine
 * serves it as {@code POST /v1/destinations/{name}/query} and {@code ingest query}.
 *
 * <p>Thread-safety: implementations must allow concurrent queries, also while the destination stores.
 */
public interface Queryable {

    /**
     * Answers one page of a query: the matching records, newest first.
     *
     * <p>Implementations must never build query text from the query's values: every key, value and bound is passed
     * to the backing store as a parameter, whatever it holds.
     *
     * @param query the filters, how they combine, and the page wanted
     * @return the page; {@link QueryPage#next()} is present when more records match
     * @throws IllegalArgumentException if this destination cannot answer the query as asked; the message starts with
     *     the field it is about ({@code "filters[1].key: ..."}, {@code "after: ..."}) and is shown to the client
     * @throws IOException if the backing store cannot be reached now
     */
    QueryPage query(Query query) throws IOException;
}
