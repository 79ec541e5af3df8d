package dev.ingest.testkit.contract;

/**
 * What {@link SourceContract} and {@link DestinationContract} share: the opt-outs for names and objects a
 * plugin cannot handle, and the size and heap allowance of the large-object tests. A test a plugin opts out of
 * is reported as skipped with the hook's name, never as passed.
 */
public abstract class PluginContract {

    /** 64 MiB. */
    public static final long DEFAULT_LARGE_OBJECT_SIZE = 64L * 1024 * 1024;

    /** For subclasses. */
    protected PluginContract() {
    }

    /** @return false if object names cannot contain spaces */
    protected boolean supportsNamesWithSpaces() {
        return true;
    }

    /** @return false if object names cannot contain non-ASCII characters */
    protected boolean supportsUnicodeNames() {
        return true;
    }

    /** @return false if object names cannot contain folders ({@code a/b/c}) */
    protected boolean supportsNestedNames() {
        return true;
    }

    /** @return false if the plugin cannot hold empty (0-byte) objects */
    protected boolean supportsEmptyObjects() {
        return true;
    }

    /** @return false to skip the large-object tests (say why in the subclass) */
    protected boolean supportsLargeObjects() {
        return true;
    }

    /** @return the size of the large object, {@value #DEFAULT_LARGE_OBJECT_SIZE} bytes by default */
    protected long largeObjectSize() {
        return DEFAULT_LARGE_OBJECT_SIZE;
    }

    /**
     * @return how much the reachable heap may grow while the large object is streamed through the plugin;
     *     16 MiB by default, a quarter of the default large object
     */
    protected long largeObjectHeapAllowance() {
        return 16L * 1024 * 1024;
    }
}
