#!/usr/bin/env bash
# Installs what bpnn needs on a fresh Debian 12 machine (apt), then builds
# and installs the extension into the system PostgreSQL 15.  Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need=()
# clang and its runtime libraries (libFuzzer, the sanitizers): test/fuzz;
# libipc-run-perl: the TAP tests (test/t/*.pl); the drivers test/t/012_clients.pl
# uses: psycopg2, pgjdbc with a JDK, psqlODBC with unixODBC and pyodbc;
# python3-onnx: onnx.checker for test/t/013_onnx.pl
for pkg in build-essential postgresql-15 postgresql-server-dev-15 postgresql-common \
	clang libclang-rt-14-dev libipc-run-perl \
	python3-psycopg2 libpostgresql-jdbc-java default-jdk-headless odbc-postgresql unixodbc python3-pyodbc \
	python3-onnx; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
# node and npm for onnxruntime-node (test/t/013_onnx.pl): Debian's, unless a
# node with npm is there already (NodeSource's nodejs ships its own npm)
command -v npm > /dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
	echo "== installing ${need[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# onnxruntime-node 1.30 (its CPU runtime ships inside the package) into
# test/onnx/node_modules (git ignores it), at the versions of
# test/onnx/package-lock.json; --ignore-scripts: its install script only
# fetches GPU runtimes, from a host that may not be reachable
if [ ! -d test/onnx/node_modules/onnxruntime-node ]; then
	echo "== installing onnxruntime-node (npm)"
	(cd test/onnx && npm ci --ignore-scripts --no-audit --no-fund > /dev/null)
fi

echo "== building bpnn"
make -s PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
$SUDO make -s install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
