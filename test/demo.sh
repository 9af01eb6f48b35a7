#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install and build
# (test/setup.sh), start a throwaway PostgreSQL 15 cluster, train on real
# data, evaluate, predict, and print what happened (test/demo.sql).
# The cluster is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
test/setup.sh
port=${BPNN_DEMO_PORT:-55434}
echo "== starting a throwaway cluster on port $port"
pg_virtualenv -t -v 15 -o "port=$port" psql -X -q -f test/demo.sql
