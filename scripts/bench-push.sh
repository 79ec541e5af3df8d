#!/usr/bin/env bash
# The push benchmark (README, Performance): wrk POSTs NDJSON bodies of 1,000 records each to an http-push source on
# loopback; the records go through a private nats-server (--queue-endpoint=embedded) and the batcher into rows of the
# local PostgreSQL (127.0.0.1:5432, database test). Prints the records/s answered 202, the request latency
# percentiles wrk measured, and the records/s end to end (until every accepted record is a row).
#
#   scripts/bench-push.sh                      # 30 s, 16 connections
#   DURATION=60s CONNECTIONS=32 scripts/bench-push.sh
#
# Needs wrk (Debian: apt-get install -y wrk) and the distribution (built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
RECORDS=${RECORDS:-1000}

command -v wrk >/dev/null || { echo "wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)" >&2; exit 2; }
scripts/ensure-nats-server.sh >/dev/null
scripts/ensure-databases.sh >/dev/null
if [ ! -x ingest-cli/target/ingest/bin/ingest ]; then
  mvn -B -q -DskipTests install -pl ingest-cli -am
fi

work=$(mktemp -d)
table="bench_push_$$"
psql_() { psql -h 127.0.0.1 -U postgres -d test -Atqc "$1"; }
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql_ "DROP TABLE IF EXISTS $table; DROP TABLE IF EXISTS ${table}_batches" || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/push.yaml" <<YAML
sources:
- {name: events, type: http-push, listen: "127.0.0.1:$port"}
destinations:
- {name: db, type: postgres, url: "jdbc:postgresql://127.0.0.1:5432/test", user: postgres, table: $table,
   columns: {level: /level}}
workflows:
- name: bench
  source: events
  destinations: [db]
  batch: {maxRecords: 50000, maxAge: 1s, format: ndjson, compression: none}
YAML
python3 - "$RECORDS" > "$work/body.ndjson" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    level = "error" if i % 10 == 0 else "info"
    print('{"level":"%s","message":"request %d handled in 12 ms","resourceId":"server-%d",'
          '"timestamp":"2023-09-15T08:00:%02d.%03dZ","traceId":"abc-xyz-%d","spanId":"span-%d",'
          '"commit":"5e5342f","metadata":{"parentResourceId":"server-0987"}}' % (level, i, i % 50, i % 60, i % 1000, i, i))
PY
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-ndjson"
local f = io.open("$work/body.ndjson", "rb")
wrk.body = f:read("*a")
f:close()
LUA

ingest-cli/target/ingest/bin/ingest --mode=all --queue-endpoint=embedded --listen 127.0.0.1:0 \
  --config "$work/push.yaml" --log-level warn 2> "$work/ingest.log" &
pid=$!
for _ in $(seq 1 120); do
  if curl -fs -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"warmup":true}' \
      "http://127.0.0.1:$port/ingest"; then break; fi
  sleep 0.5
done

echo "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION, bodies of $RECORDS records ($(wc -c < "$work/body.ndjson") bytes)"
start=$(date +%s.%N)
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$work/post.lua" "http://127.0.0.1:$port/ingest" \
  | tee "$work/wrk.txt"
posted_end=$(date +%s.%N)
requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk.txt"); non2xx=${non2xx:-0}
accepted=$(( (requests - non2xx) * RECORDS + 1 ))
# Polled on the ledger (one row per stored batch, with its row count), not with count(*) over the growing table,
# whose scans would take the cores from the server being measured; the rows are counted once at the end.
for _ in $(seq 1 1200); do
  rows=$(psql_ "SELECT coalesce(sum(records), 0) FROM ${table}_batches" 2>/dev/null || echo 0)
  [ "$rows" -ge "$accepted" ] && break
  sleep 0.25
done
stored_end=$(date +%s.%N)
rows=$(psql_ "SELECT count(*) FROM $table")
python3 - "$start" "$posted_end" "$stored_end" "$accepted" "$rows" "$non2xx" <<'PY'
import sys
start, posted, stored = map(float, sys.argv[1:4]); accepted, rows, non2xx = map(int, sys.argv[4:7])
print(f"accepted (202): {accepted:,} records, {accepted / (posted - start):,.0f} records/s while posting; "
      f"non-2xx answers: {non2xx}")
print(f"rows in PostgreSQL: {rows:,}; end to end {rows / (stored - start):,.0f} records/s "
      f"({stored - start:.1f} s from the first POST to the last row)")
PY
