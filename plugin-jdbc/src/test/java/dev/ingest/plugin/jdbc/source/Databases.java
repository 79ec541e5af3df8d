package dev.ingest.plugin.jdbc.source;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * The real servers of the tests: PostgreSQL on 127.0.0.1:5432 (trust, database {@code test}) and MariaDB on
 * 127.0.0.1:3306 (root without password, database {@code test}), as {@code scripts/ensure-databases.sh} sets them up.
 * Each test makes tables of its own, under a random name, and drops them.
 */
enum Databases {
    POSTGRESQL("jdbc:postgresql://127.0.0.1:5432/test", "postgres"),
    MARIADB("jdbc:mariadb://127.0.0.1:3306/test", "root");

    final String url;
    final String user;

    Databases(String url, String user) {
        this.url = url;
        this.user = user;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, "");
    }

    void exec(String... sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    /** A fresh table name. */
    static String table(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
    }

    /** The type of a timestamp with microseconds that defaults to now, in this database. */
    String timestampNow() {
        return this == POSTGRESQL ? "timestamptz NOT NULL DEFAULT now()" : "datetime(6) NOT NULL DEFAULT now(6)";
    }

    String autoId() {
        return this == POSTGRESQL ? "bigserial PRIMARY KEY" : "bigint AUTO_INCREMENT PRIMARY KEY";
    }
}
