#!/usr/bin/env bash
# Makes sure a nats-server binary is available (on PATH or at /usr/sbin/nats-server); installs
# Debian's nats-server package when it is missing. Used by the quick start and the test command.
set -euo pipefail

if command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || [ -n "${INGEST_NATS_SERVER:-}" ]; then
  exit 0
fi
echo "nats-server not found; installing the Debian package nats-server" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq nats-server >/dev/null
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || {
  echo "nats-server could not be installed; install it and put it on PATH, or set INGEST_NATS_SERVER" >&2
  exit 1
}
