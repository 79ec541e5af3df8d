package dev.ingest.core.testplugin;

import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.DataRecord;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.api.RecordContext;
import dev.ingest.api.RecordSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A test-only record source of type {@code gen}: hands over {@code count} records, {@code line-<n>}, {@code chunk}
 * at a time, with attribute {@code group} ({@code n % groups}) and a checkpoint of the next number. In a service it
 * then waits for the stop. Its records' time is {@code start} plus {@code n} seconds. With {@code failFirstRun: true}
 * its first run hands everything over without moving the checkpoint and then fails, so the engine runs it again from
 * the start: every record is handed over twice, as after a crash.
 */
public final class GenPluginProvider implements PluginProvider {

    @Override
    public String type() {
        return "gen";
    }

    @Override
    public Set<PluginRole> roles() {
        return Set.of(PluginRole.SOURCE);
    }

    @Override
    public List<ConfigKey> keys(PluginRole role) {
        return List.of(ConfigKey.required("count", "records to hand over"),
                ConfigKey.optional("chunk", "records per emit (default 100)"),
                ConfigKey.optional("groups", "values of the group attribute (default 1)"),
                ConfigKey.optional("start", "epoch second of the first record's time (default 1700000000)"),
                ConfigKey.optional("failFirstRun", "hand everything over without a checkpoint, then fail, once"));
    }

    @Override
    public boolean readsRecords(PluginConfig config) {
        return true;
    }

    @Override
    public RecordSource createRecordSource(PluginConfig config) throws ConfigException {
        long count = config.number("count", 0, 0);
        long chunk = config.number("chunk", 100, 1);
        long groups = config.number("groups", 1, 1);
        long start = config.number("start", 1_700_000_000L, 0);
        boolean failFirstRun = config.bool("failFirstRun", false);
        config.validate();
        return new RecordSource() {
            private boolean failed;

            @Override
            public void run(RecordContext context) throws IOException, InterruptedException {
                boolean fail = failFirstRun && !failed;
                byte[] saved = context.checkpoint().get("next");
                long next = saved == null ? 0 : ByteBuffer.wrap(saved).getLong();
                while (next < count && !context.stopping()) {
                    List<DataRecord> records = new ArrayList<>();
                    long end = Math.min(count, next + chunk);
                    for (long n = next; n < end; n++) {
                        records.add(new DataRecord(("line-" + n).getBytes(StandardCharsets.UTF_8),
                                Instant.ofEpochSecond(start + n), Map.of("group", Long.toString(n % groups))));
                    }
                    context.emit(records, fail ? CheckpointUpdate.NONE
                            : CheckpointUpdate.put("next", ByteBuffer.allocate(8).putLong(end).array()));
                    next = end;
                }
                if (fail) {
                    failed = true;
                    throw new IOException("failing the first run, as asked");
                }
                context.status(Map.of("next", Long.toString(next)));
                if (!context.once()) {
                    context.awaitStop(Duration.ofDays(1));
                }
            }
        };
    }
}
