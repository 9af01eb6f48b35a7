#!/usr/bin/env bash
# Installs what bpnn needs on a fresh Debian 12 machine (apt), then builds
# and installs the extension into the system PostgreSQL 15.  Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need=()
# clang and its runtime libraries (libFuzzer, the sanitizers): test/fuzz;
# libipc-run-perl: the TAP tests (test/t/*.pl); the drivers test/t/clients.sh
# uses: psycopg2, pgjdbc with a JDK, psqlODBC with unixODBC and pyodbc
for pkg in build-essential postgresql-15 postgresql-server-dev-15 postgresql-common \
	clang libclang-rt-14-dev libipc-run-perl \
	python3-psycopg2 libpostgresql-jdbc-java default-jdk-headless odbc-postgresql unixodbc python3-pyodbc; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "== installing ${need[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== building bpnn"
make -s PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
$SUDO make -s install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
