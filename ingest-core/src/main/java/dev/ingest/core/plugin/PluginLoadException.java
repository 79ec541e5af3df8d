package dev.ingest.core.plugin;

/** Plugins could not be loaded: an empty plugin directory, no provider, two plugins claiming one type. */
public final class PluginLoadException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message what went wrong, naming the directories involved */
    public PluginLoadException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, naming the directories involved
     * @param cause the underlying failure
     */
    public PluginLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
