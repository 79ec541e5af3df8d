package dev.ingest.core.config;

import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Expands {@code ${VAR}} and {@code ${VAR:-default}} in configuration values; {@code $$} stands for a literal
 * {@code $}. A variable that is unset (and has no default) is an error, never silently empty.
 */
public final class EnvExpander {

    private final Function<String, String> env;

    private EnvExpander(Function<String, String> env) {
        this.env = Objects.requireNonNull(env, "env");
    }

    /** @return an expander reading the process environment */
    public static EnvExpander system() {
        return new EnvExpander(System::getenv);
    }

    /**
     * @param env the variables to use
     * @return an expander reading the given map
     */
    public static EnvExpander of(Map<String, String> env) {
        return new EnvExpander(env::get);
    }

    /** Why a value could not be expanded. */
    public static final class ExpansionException extends Exception {
        private static final long serialVersionUID = 1L;

        ExpansionException(String message) {
            super(message);
        }
    }

    /**
     * Expands one value.
     *
     * @param text the raw value
     * @return the expanded value
     * @throws ExpansionException naming the unset variable or the malformed reference
     */
    public String expand(String text) throws ExpansionException {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$' || i + 1 >= text.length()) {
                out.append(c);
                i++;
                continue;
            }
            char next = text.charAt(i + 1);
            if (next == '$') {
                out.append('$');
                i += 2;
                continue;
            }
            if (next != '{') {
                out.append(c);
                i++;
                continue;
            }
            int close = text.indexOf('}', i + 2);
            if (close < 0) {
                throw new ExpansionException("unterminated '${' in '" + text + "' (write $$ for a literal $)");
            }
            String ref = text.substring(i + 2, close);
            String name = ref;
            String fallback = null;
            int dash = ref.indexOf(":-");
            if (dash >= 0) {
                name = ref.substring(0, dash);
                fallback = ref.substring(dash + 2);
            }
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new ExpansionException("'${" + ref + "}' is not a valid variable reference");
            }
            String value = env.apply(name);
            if (value == null || (value.isEmpty() && fallback != null)) {
                if (fallback == null) {
                    throw new ExpansionException("environment variable " + name
                            + " is not set (use ${" + name + ":-default} for a default)");
                }
                value = fallback;
            }
            out.append(value);
            i = close + 1;
        }
        return out.toString();
    }
}
