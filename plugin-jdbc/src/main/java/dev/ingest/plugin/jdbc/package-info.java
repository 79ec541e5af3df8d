/**
 * The {@code jdbc} plugin module: databases over JDBC. It bundles the PostgreSQL and MariaDB drivers in its
 * own class loader ({@code plugins/jdbc/}); another driver (ClickHouse's, say) is a jar placed in that
 * directory.
 */
package dev.ingest.plugin.jdbc;
