/**
 * The plugin SPI of ingest: everything a source or destination plugin implements or receives.
 *
 * <p>A plugin is a jar (plus its own dependencies) that registers one {@link dev.ingest.api.PluginProvider}
 * with {@link java.util.ServiceLoader}. The provider names its type ({@code file}, {@code s3}, ...), declares
 * the configuration keys it accepts and creates {@link dev.ingest.api.Source}s and
 * {@link dev.ingest.api.Destination}s from a validated {@link dev.ingest.api.PluginConfig}.
 *
 * <h2>Errors</h2>
 * <ul>
 *   <li>{@link java.io.IOException}: the operation failed but may succeed later (network, throttling, 5xx,
 *       a full disk). The engine retries it with a growing delay.</li>
 *   <li>{@link dev.ingest.api.PoisonException} (a subclass of {@code IOException}): this item can never
 *       succeed (the object vanished, its name is not allowed, the server refuses it for good). The engine
 *       dead-letters it instead of retrying.</li>
 *   <li>{@link dev.ingest.api.ConfigException}: the configuration is wrong; it carries every problem found.</li>
 *   <li>Unchecked exceptions are bugs; the engine treats them like {@code IOException} and logs them.</li>
 * </ul>
 *
 * <p>This package has no dependencies beyond the JDK and only grows by addition.
 */
package dev.ingest.api;
