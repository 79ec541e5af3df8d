package dev.ingest.api;

/** What a plugin can be configured as. */
public enum PluginRole {
    /** Listed under {@code sources:}; creates {@link Source}s. */
    SOURCE,
    /** Listed under {@code destinations:}; creates {@link Destination}s. */
    DESTINATION
}
