package dev.ingest.plugin.http;

import com.fasterxml.jackson.core.JsonPointer;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.NameFilter;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.api.Secrets;
import dev.ingest.api.Source;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import okhttp3.HttpUrl;

/**
 * The {@code http} plugin: a JSON API as a source ({@link HttpSource}) and an HTTP endpoint that accepts
 * {@code PUT} or {@code POST} as a destination ({@link HttpDestination}), on OkHttp.
 *
 * <pre>{@code
 * sources:
 *   - name: reports
 *     type: http
 *     url: https://api.example.com/v1/reports?per_page=100
 *     items: /data             # the array inside each page; absent: the page is the array
 *     idField: id
 *     nameField: filename
 *     urlField: download_url    # relative URLs are resolved against the page's URL
 *     versionField: etag
 *     sizeField: size
 *     nextField: /links/next    # and/or a Link: <...>; rel="next" header
 *     maxPages: 100000          # a listing linking to more pages fails the scan
 *     bearerToken: ${REPORTS_TOKEN}
 *     cleanUp: "DELETE {url}"
 * destinations:
 *   - name: archive
 *     type: http
 *     url: https://files.example.com/archive/{name}
 *     method: PUT
 *     headers: {X-Tenant: acme}
 * }</pre>
 *
 * <p>Every value is checked when the source or destination is created and every problem is reported at once;
 * nothing is contacted then. Stateless and thread-safe. Registered with {@link java.util.ServiceLoader}.
 */
public final class HttpPluginProvider implements PluginProvider {

    /** The type name used in configuration. */
    public static final String TYPE = "http";

    /** Pages a scan follows at most, unless {@code maxPages} says otherwise. */
    static final long DEFAULT_MAX_PAGES = 100_000;

    private static final Set<String> CLEANUP_METHODS = Set.of("DELETE", "POST", "PUT", "PATCH");
    private static final Pattern CLEANUP = Pattern.compile("\\s*([A-Za-z]+)\\s+(\\S+)\\s*");

    private static final List<ConfigKey> SOURCE_KEYS = Stream.concat(Stream.of(
            ConfigKey.required("url", "http(s) URL of the listing (its first page), which returns JSON"),
            ConfigKey.optional("items", "JSON pointer to the array of items in each page, e.g. /data; absent: the page is the array"),
            ConfigKey.optional("idField", "field (or /JSON/pointer) of an item's unique id (default id)"),
            ConfigKey.optional("nameField", "field of an item's name at the destinations (default name, else the id)"),
            ConfigKey.optional("urlField", "field of an item's URL, relative to the page (default url); not with downloadUrl"),
            ConfigKey.optional("downloadUrl", "URL template of an object from {id} and {name}, relative to url; instead of urlField"),
            ConfigKey.optional("versionField", "field of an item's version (an ETag, updated_at); a changed version is copied again"),
            ConfigKey.optional("sizeField", "field of an item's size in bytes"),
            ConfigKey.optional("nextField", "JSON pointer to the next page's URL in a page, e.g. /next; Link rel=next headers are always followed"),
            ConfigKey.optional("maxPages", "the most pages a scan follows; a listing linking to more fails the scan (default 100000)"),
            ConfigKey.optional("cleanUp", "request removing a copied object, e.g. 'DELETE {url}' ({url}, {id}, {name}); needed for cleanUp: true")),
            Stream.concat(NameFilter.configKeys().stream(), ClientSettings.KEYS.stream())).toList();

    private static final List<ConfigKey> DESTINATION_KEYS = Stream.concat(Stream.of(
            ConfigKey.required("url", "http(s) URL template with {name} in its path, e.g. https://host/up/{name}"),
            ConfigKey.optional("method", "PUT (default) or POST"),
            ConfigKey.optional("stat", "HEAD (default): ask whether an object is there; none: always store")),
            ClientSettings.KEYS.stream()).toList();

    /** Creates the provider; does no work. */
    public HttpPluginProvider() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Set<PluginRole> roles() {
        return Set.of(PluginRole.SOURCE, PluginRole.DESTINATION);
    }

    @Override
    public List<ConfigKey> keys(PluginRole role) {
        return switch (role) {
            case SOURCE -> SOURCE_KEYS;
            case DESTINATION -> DESTINATION_KEYS;
        };
    }

    @Override
    public Source createSource(PluginConfig config) throws ConfigException {
        String what = "http source '" + config.name() + "'";
        HttpUrl url = absoluteUrl(config, "url", config.string("url"));
        JsonPointer items = pointer(config, "items");
        JsonField id = field(config, "idField", "id");
        JsonField objectName = field(config, "nameField", "name");
        UrlTemplate downloadUrl = null;
        Optional<String> downloadText = config.optionalString("downloadUrl");
        if (downloadText.isPresent()) {
            downloadUrl = template(config, "downloadUrl", downloadText.get(), Set.of("id", "name"), url);
            if (config.has("urlField")) {
                config.problem("downloadUrl", "set either urlField or downloadUrl, not both");
            }
            if (downloadUrl != null && !downloadUrl.uses("id") && !downloadUrl.uses("name")) {
                config.problem("downloadUrl", "must use {id} or {name}, else every object has the same URL");
            }
        }
        JsonField objectUrl = downloadText.isPresent() ? null : field(config, "urlField", "url");
        JsonField version = config.has("versionField") ? field(config, "versionField", null) : null;
        JsonField size = config.has("sizeField") ? field(config, "sizeField", null) : null;
        JsonPointer next = pointer(config, "nextField");
        long maxPages = config.number("maxPages", DEFAULT_MAX_PAGES, 1);
        NameFilter filter = NameFilter.parse(config);
        HttpSource.CleanUp cleanUp = cleanUp(config, url);
        ClientSettings settings = ClientSettings.parse(config, what, url);
        config.validate();
        HttpSource.Listing listing = new HttpSource.Listing(url, items, id, objectName, objectUrl, downloadUrl,
                version, size, next, maxPages, filter);
        return new HttpSource(config.name(), listing, cleanUp, settings.newClient());
    }

    @Override
    public Destination createDestination(PluginConfig config) throws ConfigException {
        String what = "http destination '" + config.name() + "'";
        String text = config.string("url");
        UrlTemplate url = null;
        HttpUrl base = null;
        if (!text.isEmpty()) {
            if (!text.contains("{name}")) {
                config.problem("url", "'" + Secrets.redactUrl(text) + "' must contain {name}, where each object's name goes "
                        + "(for example https://files.example.com/up/{name})");
            } else {
                base = absoluteUrl(config, "url", text.replace("{name}", "name"));
                url = template(config, "url", text, Set.of("name"), base);
                if (url != null && !url.usesInPath("name")) {
                    config.problem("url", "{name} must be in the path of '" + Secrets.redactUrl(text) + "', before any '?' or '#'");
                }
            }
        }
        String method = config.optionalString("method").map(m -> m.trim().toUpperCase(Locale.ROOT)).orElse("PUT");
        if (!method.equals("PUT") && !method.equals("POST")) {
            config.problem("method", "must be PUT or POST, got '" + config.optionalString("method").orElse("") + "'");
        }
        HttpDestination.Stat stat = HttpDestination.Stat.HEAD;
        Optional<String> statText = config.optionalString("stat");
        if (statText.isPresent()) {
            switch (statText.get().trim().toLowerCase(Locale.ROOT)) {
                case "head" -> stat = HttpDestination.Stat.HEAD;
                case "none" -> stat = HttpDestination.Stat.NONE;
                default -> config.problem("stat", "must be HEAD or none, got '" + statText.get() + "'");
            }
        }
        ClientSettings settings = ClientSettings.parse(config, what, base);
        config.validate();
        return new HttpDestination(config.name(), url, base, method, stat, settings.newClient());
    }

    /** An absolute http(s) URL without user info; records a problem and returns null otherwise. */
    private static HttpUrl absoluteUrl(PluginConfig config, String key, String text) {
        if (text.isEmpty()) {
            return null; // already reported
        }
        String trimmed = text.trim();
        HttpUrl url = HttpUrl.parse(trimmed);
        if (url == null) {
            String scheme = trimmed.contains("://") ? trimmed.substring(0, trimmed.indexOf("://")) : "";
            config.problem(key, "'" + Secrets.redactUrl(text) + "' is not an absolute http:// or https:// URL"
                    + (scheme.isEmpty() || scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https")
                            ? "" : " (scheme '" + scheme + "' is not supported)"));
            return null;
        }
        if (!url.username().isEmpty() || !url.password().isEmpty()) {
            config.problem(key, "must not contain a user name or password; use username and password");
            return null;
        }
        return url;
    }

    private static UrlTemplate template(PluginConfig config, String key, String text, Set<String> allowed, HttpUrl base) {
        List<String> problems = new ArrayList<>();
        UrlTemplate template = UrlTemplate.parse(text.trim(), allowed, problems);
        problems.forEach(p -> config.problem(key, p));
        if (!problems.isEmpty() || base == null) {
            return problems.isEmpty() ? template : null;
        }
        HttpUrl sample = template.expand(base, Map.of("url", base.toString(), "id", "id", "name", "name"));
        if (sample == null) {
            config.problem(key, "'" + Secrets.redactUrl(text) + "' does not give an http(s) URL");
            return null;
        }
        return template;
    }

    private static JsonPointer pointer(PluginConfig config, String key) {
        Optional<String> text = config.optionalString(key);
        if (text.isEmpty()) {
            return null;
        }
        String p = text.get().trim();
        if (!p.startsWith("/") || p.length() < 2) {
            config.problem(key, "'" + text.get() + "' must be a JSON pointer such as /items or /links/next");
            return null;
        }
        try {
            return JsonField.pointer(p);
        } catch (IllegalArgumentException e) {
            config.problem(key, "'" + text.get() + "' is not a valid JSON pointer: " + e.getMessage());
            return null;
        }
    }

    private static JsonField field(PluginConfig config, String key, String defaultValue) {
        Optional<String> text = config.optionalString(key);
        String spec = text.map(String::trim).orElse(defaultValue);
        if (spec == null) {
            return null;
        }
        try {
            return JsonField.of(spec);
        } catch (IllegalArgumentException e) {
            config.problem(key, "'" + spec + "' is not a valid JSON pointer: " + e.getMessage());
            return JsonField.of(defaultValue == null ? "invalid" : defaultValue);
        }
    }

    private static HttpSource.CleanUp cleanUp(PluginConfig config, HttpUrl base) {
        Optional<String> text = config.optionalString("cleanUp");
        if (text.isEmpty()) {
            return null;
        }
        Matcher m = CLEANUP.matcher(text.get());
        if (!m.matches()) {
            config.problem("cleanUp", "'" + Secrets.redactUrl(text.get()) + "' must be a method and a URL template, for example 'DELETE {url}'");
            return null;
        }
        String method = m.group(1).toUpperCase(Locale.ROOT);
        if (!CLEANUP_METHODS.contains(method)) {
            config.problem("cleanUp", "method '" + m.group(1) + "' must be one of DELETE, POST, PUT, PATCH");
        }
        UrlTemplate url = template(config, "cleanUp", m.group(2), Set.of("url", "id", "name"), base);
        if (url != null && !url.uses("url") && !url.uses("id") && !url.uses("name")) {
            config.problem("cleanUp", "'" + Secrets.redactUrl(text.get()) + "' must use {url}, {id} or {name}, else every object has the same URL");
        }
        return url == null || !CLEANUP_METHODS.contains(method) ? null : new HttpSource.CleanUp(method, url);
    }
}
