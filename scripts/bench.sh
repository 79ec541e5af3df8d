#!/usr/bin/env bash
# The benchmark: ingest against rclone through a private nats-server and an in-memory S3 server (s3proxy),
# all on loopback. Builds what it needs, then runs dev.ingest.bench.BenchMain (module ingest-bench), which
# starts the servers, generates the data, runs the real launcher (ingest-cli/target/ingest/bin/ingest) and,
# when it is on PATH, rclone, and prints a table. See the README, section Performance.
#
#   scripts/bench.sh                  # every case, full size (about 20 minutes on 2 cores)
#   scripts/bench.sh --quick          # smaller data: a smoke run
#   scripts/bench.sh --cases 1,5      # some cases
#   scripts/bench.sh --help
#
# Environment: BENCH_SKIP_BUILD=1 uses what is already built; BENCH_JAVA_OPTS sets the benchmark JVM's
# options (it holds the S3 server's data: default -Xmx6g); BENCH_INGEST_JAVA_OPTS is appended to every
# ingest run's JAVA_OPTS (profiling flags, say).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)

scripts/ensure-nats-server.sh
if ! command -v rclone >/dev/null 2>&1; then
  echo "rclone not installed: the benchmark runs ingest alone, without ratios (Debian/Ubuntu: apt-get install -y rclone)" >&2
fi

classpath_file=ingest-bench/target/bench-classpath.txt
if [ "${BENCH_SKIP_BUILD:-}" != 1 ] || [ ! -s "$classpath_file" ] || [ ! -x ingest-cli/target/ingest/bin/ingest ]; then
  echo "building the distribution, the s3 plugin and ingest-bench (mvn -B -q -DskipTests install) ..." >&2
  # The launcher and its bundled plugins; plugin-s3 for its plugin zip in case the distribution does not bundle it.
  mvn -B -q -DskipTests install -pl ingest-cli,plugin-s3 -am
  # The benchmark itself, by its own pom (independent of whether the root pom lists it), and its class path.
  mvn -B -q -f ingest-bench/pom.xml -DskipTests package dependency:build-classpath \
    -Dmdep.outputFile="$root/$classpath_file" -Dmdep.includeScope=runtime
fi

exec java ${BENCH_JAVA_OPTS:--Xmx6g} -cp "ingest-bench/target/classes:$(cat "$classpath_file")" \
  dev.ingest.bench.BenchMain --root "$root" "$@"
