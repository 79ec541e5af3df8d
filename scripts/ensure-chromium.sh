#!/usr/bin/env bash
# Makes sure Debian's chromium and chromium-driver are installed, for the console's browser tests (ConsoleIT);
# installs them when missing. Used by the test command. INGEST_CHROMIUM and INGEST_CHROMEDRIVER name other binaries.
set -euo pipefail

browser="${INGEST_CHROMIUM:-/usr/bin/chromium}"
driver="${INGEST_CHROMEDRIVER:-/usr/bin/chromedriver}"
if [ -x "$browser" ] && [ -x "$driver" ]; then
  exit 0
fi
echo "chromium or chromedriver not found; installing the Debian packages chromium and chromium-driver" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
[ -x "$browser" ] && [ -x "$driver" ] || {
  echo "chromium and chromium-driver could not be installed; install them, or set INGEST_CHROMIUM and INGEST_CHROMEDRIVER" >&2
  exit 1
}
