package dev.ingest.api;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of a query's answer (see {@link Queryable}). Immutable.
 *
 * @param records the matching records, newest first, each one JSON document (an object). Copied
 * @param next the cursor of the next page (pass it as {@link Query#after()}), empty when this page is the last
 */
public record QueryPage(List<String> records, Optional<String> next) {

    /** Validates and copies. */
    public QueryPage {
        records = List.copyOf(records);
        Objects.requireNonNull(next, "next");
    }
}
