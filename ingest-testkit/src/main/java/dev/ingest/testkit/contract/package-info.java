/**
 * Contract suites for plugin authors: abstract JUnit 5 classes that check a {@link dev.ingest.api.Source}
 * ({@link dev.ingest.testkit.contract.SourceContract}) or a {@link dev.ingest.api.Destination}
 * ({@link dev.ingest.testkit.contract.DestinationContract}) against what the engine relies on.
 *
 * <h2>Using them</h2>
 * <ol>
 *   <li>Add {@code dev.ingest:ingest-testkit} (and {@code org.junit.jupiter:junit-jupiter}) with
 *       {@code <scope>test</scope>}.</li>
 *   <li>Write one test class per role, e.g. {@code MySourceContractTest extends SourceContract}, implementing
 *       the abstract hooks: how to create the plugin object, and how the test reaches the backing store behind
 *       the plugin's back (put an object, delete it, read back what was stored).</li>
 *   <li>Where the plugin genuinely cannot support something (cleaning up, names with folders, ...), override the
 *       matching {@code supports...()} method to return {@code false}: the tests that need it are reported as
 *       skipped with that reason, so an opt-out is visible in every test report rather than a silent pass.</li>
 *   <li>Run them with a heap smaller than the large object (Surefire
 *       {@code <argLine>-Xmx64m</argLine>} for the default 64 MiB): a plugin that buffers an object in memory
 *       then fails. The large-object tests also measure the reachable heap while the object streams
 *       ({@link dev.ingest.testkit.contract.HeapWatch}).</li>
 * </ol>
 *
 * <p>The suites use JUnit Jupiter's API and AssertJ only; they run in a few seconds for a local store, most of it
 * writing and reading the large objects.
 */
package dev.ingest.testkit.contract;
