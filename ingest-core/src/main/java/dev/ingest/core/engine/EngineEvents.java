package dev.ingest.core.engine;

import java.util.Map;

/**
 * What an engine tells as it happens: {@code dead_letter} (an object or message dead-lettered), {@code scan_failed},
 * {@code copy_failed} (an attempt failed; it is retried), {@code workflow_started}, {@code workflow_replaced} and
 * {@code workflow_stopped}. Called from the engine's threads: implementations must be quick, thread-safe and must
 * not throw.
 */
@FunctionalInterface
public interface EngineEvents {

    /** Ignores every event. */
    EngineEvents NONE = (type, workflow, fields) -> { };

    /**
     * @param type what happened, as above
     * @param workflow the workflow concerned
     * @param fields details: {@code object}, {@code reason}, {@code error}, {@code sequence}, ...
     */
    void event(String type, String workflow, Map<String, Object> fields);
}
