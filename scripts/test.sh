#!/usr/bin/env bash
# The whole test suite: installs what a fresh machine lacks (nats-server; chromium and chromium-driver for the
# console's browser tests), then runs every unit test (*Test, Surefire) and every test against real servers (*IT,
# Failsafe). PostgreSQL and MariaDB (for plugin-jdbc) are started, or installed, when they are not running.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-nats-server.sh
scripts/ensure-databases.sh
scripts/ensure-chromium.sh
exec mvn -B verify "$@"
