/**
 * JUnit 5 fixtures for ingest and its plugins: a real {@code nats-server} ({@link dev.ingest.testkit.NatsServerExtension})
 * and an in-process S3 API server ({@link dev.ingest.testkit.S3ServerExtension}).
 */
package dev.ingest.testkit;
