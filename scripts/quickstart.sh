#!/usr/bin/env bash
# The quick start: builds ingest if needed, then copies the bundled sample tree
# (examples/quickstart/sample-tree) to ./quickstart-output through a private, throwaway
# nats-server. Run it twice: the second run copies nothing and skips everything.
#
#   scripts/quickstart.sh [ingest options]   build when needed, then run
#   scripts/quickstart.sh --needs-build      exit 0 if a build is needed, 1 if not; nothing else is done
set -euo pipefail
cd "$(dirname "$0")/.."

dist=ingest-cli/target/ingest
launcher=$dist/bin/ingest
stamp=ingest-cli/target/.quickstart-built

# The build's own time: the newest jar of the distribution (Maven writes them when it builds; the launcher script
# keeps its source's modification time, so it cannot tell) or the time this script last built.
built_reference() {
  # sed reads all of ls's output (head would not, and ls would die of SIGPIPE under pipefail); ls fails when a
  # pattern matches nothing
  { ls -t "$stamp" "$dist"/lib/*.jar "$dist"/plugins/*/*.jar 2>/dev/null || true; } | sed -n 1p
}

# A build is needed when the distribution is missing or a source or build file changed since it was built.
needs_build() {
  [ -x "$launcher" ] || return 0
  local reference
  reference=$(built_reference)
  [ -n "$reference" ] || return 0
  [ -n "$(find . \( -path ./quickstart-output -o -path '*/target' -o -path ./.git \) -prune -o \
      \( -name pom.xml -o -path '*/src/*' \) -type f -newer "$reference" -print -quit)" ]
}

if [ "${1:-}" = "--needs-build" ]; then
  needs_build
  exit $?
fi

scripts/ensure-nats-server.sh

if needs_build; then
  echo "building ingest (mvn -B -q -DskipTests install) ..." >&2
  # -Dstyle.color=never: no colour escape sequences ([0m) in the output, whatever the terminal
  mvn -B -q -Dstyle.color=never -DskipTests install
  touch "$stamp"
fi

exec "$launcher" --mode=all --once --queue-endpoint=embedded --log-level=warn \
  --config examples/quickstart/ingest.yaml "$@"
