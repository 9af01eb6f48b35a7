#!/usr/bin/env bash
# pg_cancel_backend stops a long training within a second, and the session
# goes on: run under pg_virtualenv (test/run-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/t/lib.bash
test_database bpnn_cancel
for what in "SELECT bpnn_train('flowers', 'kind', epochs => 1000000)" \
            "SELECT count(*) FROM bpnn_cross_validate('flowers', 'kind', epochs => 1000000)"; do
	cancel_within_a_second bpnn_cancel "$what"
done
