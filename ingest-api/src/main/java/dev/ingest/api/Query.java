package dev.ingest.api;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A filter query over stored records (see {@link Queryable}). Immutable.
 *
 * @param filters the conditions; none matches every record. Copied
 * @param any false: a record must match every filter ({@code "match": "all"}); true: at least one ({@code "any"})
 * @param limit the most records of one page, 1 to {@value #MAX_LIMIT}
 * @param after where the page starts: the {@link QueryPage#next()} of the page before, or empty for the first
 */
public record Query(List<Filter> filters, boolean any, int limit, Optional<String> after) {

    /** The page size when none is asked for. */
    public static final int DEFAULT_LIMIT = 100;
    /** The largest page. */
    public static final int MAX_LIMIT = 10_000;

    /** Validates and copies. */
    public Query {
        filters = List.copyOf(filters);
        Objects.requireNonNull(after, "after");
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit: must be 1 to " + MAX_LIMIT + ", got " + limit);
        }
    }

    /** How a filter compares. */
    public enum Operation {
        /** The key's value is the filter's value (as text). */
        EQUALS,
        /** The key's value contains the filter's value as a substring (case-sensitive). */
        CONTAINS,
        /** The key's value lies between the bounds, both included; either bound may be left out. */
        RANGE
    }

    /**
     * One condition.
     *
     * @param key a top-level field name, or a JSON pointer into the record ({@code /metadata/parentResourceId});
     *     {@code timestamp} and {@code time} mean the record's time
     * @param operation how to compare
     * @param value the value for {@code EQUALS} and {@code CONTAINS}; empty for {@code RANGE}
     * @param lower the lower bound of a {@code RANGE} (for the time: RFC 3339 or epoch milliseconds)
     * @param upper the upper bound of a {@code RANGE}
     */
    public record Filter(String key, Operation operation, Optional<String> value, Optional<String> lower,
                         Optional<String> upper) {

        /** Validates. */
        public Filter {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(operation, "operation");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(lower, "lower");
            Objects.requireNonNull(upper, "upper");
            if (key.isEmpty()) {
                throw new IllegalArgumentException("key: must not be empty");
            }
            if (operation == Operation.RANGE && lower.isEmpty() && upper.isEmpty()) {
                throw new IllegalArgumentException("range: needs lower_range, upper_range or both");
            }
            if (operation != Operation.RANGE && value.isEmpty()) {
                throw new IllegalArgumentException("value: required for " + operation.name().toLowerCase(
                        java.util.Locale.ROOT));
            }
        }

        /**
         * @param key the key
         * @param value the value
         * @return an {@code EQUALS} filter
         */
        public static Filter equalTo(String key, String value) {
            return new Filter(key, Operation.EQUALS, Optional.of(value), Optional.empty(), Optional.empty());
        }

        /**
         * @param key the key
         * @param value the substring
         * @return a {@code CONTAINS} filter
         */
        public static Filter contains(String key, String value) {
            return new Filter(key, Operation.CONTAINS, Optional.of(value), Optional.empty(), Optional.empty());
        }

        /**
         * @param key the key
         * @param lower the lower bound, or null
         * @param upper the upper bound, or null
         * @return a {@code RANGE} filter
         */
        public static Filter range(String key, String lower, String upper) {
            return new Filter(key, Operation.RANGE, Optional.empty(), Optional.ofNullable(lower),
                    Optional.ofNullable(upper));
        }
    }
}
