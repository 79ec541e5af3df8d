package dev.ingest.core.engine;

/** What a process does. */
public enum Mode {
    /** Scan sources every interval and publish one message per object. */
    ENQUEUE,
    /** Pull messages and copy objects to the destinations. */
    DEQUEUE,
    /** Both, in one process. */
    ALL;

    /** @return whether this mode scans sources */
    public boolean enqueues() {
        return this != DEQUEUE;
    }

    /** @return whether this mode copies objects */
    public boolean dequeues() {
        return this != ENQUEUE;
    }
}
