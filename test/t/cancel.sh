#!/usr/bin/env bash
# pg_cancel_backend stops a long training (in memory or streaming) or
# cross-validation within a second: run under pg_virtualenv (test/run-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/t/lib.bash
test_database bpnn_cancel
# 300,000 rows: 4.6 MB of float4, streamed under a 1 MB bpnn.memory_limit
psql -X -q -d bpnn_cancel -c "CREATE TABLE many_flowers AS SELECT f.* FROM flowers f, generate_series(1, 2000)"
for what in "SELECT bpnn_train('flowers', 'kind', epochs => 1000000)" \
            "SELECT count(*) FROM bpnn_cross_validate('flowers', 'kind', epochs => 1000000)" \
            "SET bpnn.memory_limit = '1MB'; SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000)"; do
	cancel_within_a_second bpnn_cancel "$what"
done
