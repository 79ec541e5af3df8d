package dev.ingest.api;

import java.util.Objects;

/**
 * One configuration key a plugin accepts. The engine rejects keys a plugin does not declare and reports
 * missing required keys before the plugin is created; values of keys marked {@code secret} are never logged or
 * printed.
 *
 * @param name the key as written in YAML (camelCase, as in the original tool: {@code accessKeyID})
 * @param required whether the key must be present
 * @param secret whether the value is a credential to be masked
 * @param description one line for documentation and error messages
 */
public record ConfigKey(String name, boolean required, boolean secret, String description) {

    /** Validates the fields. */
    public ConfigKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
    }

    /**
     * A required, non-secret key.
     *
     * @param name the key
     * @param description what it means
     * @return the key
     */
    public static ConfigKey required(String name, String description) {
        return new ConfigKey(name, true, false, description);
    }

    /**
     * An optional, non-secret key.
     *
     * @param name the key
     * @param description what it means
     * @return the key
     */
    public static ConfigKey optional(String name, String description) {
        return new ConfigKey(name, false, false, description);
    }

    /**
     * An optional key whose value is a credential.
     *
     * @param name the key
     * @param description what it means
     * @return the key
     */
    public static ConfigKey secret(String name, String description) {
        return new ConfigKey(name, false, true, description);
    }
}
