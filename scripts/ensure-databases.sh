#!/usr/bin/env bash
# Makes sure PostgreSQL and MariaDB answer on 127.0.0.1:5432 and 127.0.0.1:3306, as the tests of plugin-jdbc
# expect (PostgreSQL: trust authentication, database "test"; MariaDB: root without password, database "test").
# Starts an installed server that is stopped; installs Debian's packages when a server is missing. Used by
# the test command (scripts/test.sh).
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

wait_for() { # what, command...
  local what=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "$what does not answer after 30 s" >&2
  return 1
}

# PostgreSQL
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "PostgreSQL not found; installing the Debian package postgresql" >&2
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  echo "starting PostgreSQL $version" >&2
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
fi
# Trust on loopback and a database named test, as the tests expect (idempotent).
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  echo "PostgreSQL answers but refuses user postgres without a password on 127.0.0.1; allow trust for 127.0.0.1/32 in pg_hba.conf" >&2
  exit 1
fi
if [ "$(psql -h 127.0.0.1 -U postgres -d postgres -Atc "select 1 from pg_database where datname = 'test'")" != 1 ]; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc 'create database test'
fi

# MariaDB
if ! mariadb-admin -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1; then
  if [ ! -x /usr/sbin/mariadbd ]; then
    echo "MariaDB not found; installing the Debian package mariadb-server" >&2
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq mariadb-server >/dev/null
  fi
  echo "starting MariaDB" >&2
  $SUDO mkdir -p /run/mysqld && $SUDO chown mysql:mysql /run/mysqld 2>/dev/null || true
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql || true
  wait_for MariaDB mariadb-admin -h 127.0.0.1 -P 3306 -u root ping
fi
mariadb -h 127.0.0.1 -P 3306 -u root -e 'create database if not exists test'
