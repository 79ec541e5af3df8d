/** The {@code http-push} plugin: records POSTed over HTTP, on the JDK's HTTP server. */
package dev.ingest.plugin.push;
