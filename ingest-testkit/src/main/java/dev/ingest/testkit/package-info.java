/**
 * JUnit 5 fixtures for ingest and its plugins: a real {@code nats-server} ({@link dev.ingest.testkit.NatsServerExtension}).
 */
package dev.ingest.testkit;
