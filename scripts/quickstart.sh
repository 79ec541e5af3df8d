#!/usr/bin/env bash
# The quick start: builds ingest if needed, then copies the bundled sample tree
# (examples/quickstart/sample-tree) to ./quickstart-output through a private, throwaway
# nats-server. Run it twice: the second run copies nothing and skips everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-nats-server.sh

launcher=ingest-cli/target/ingest/bin/ingest
# Build when the distribution is missing or older than any source or build file.
if [ ! -x "$launcher" ] || [ -n "$(find . -path ./quickstart-output -prune -o \( -name pom.xml -o -path '*/src/*' \) -newer "$launcher" -print -quit)" ]; then
  echo "building ingest (mvn -B -q -DskipTests install) ..." >&2
  mvn -B -q -DskipTests install
  touch "$launcher"
fi

exec "$launcher" --mode=all --once --queue-endpoint=embedded --log-level=warn \
  --config examples/quickstart/ingest.yaml "$@"
