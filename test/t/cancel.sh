#!/usr/bin/env bash
# pg_cancel_backend stops a long training (in memory, in parallel workers or
# streaming) or cross-validation within a second, parallel workers with it:
# run under pg_virtualenv (test/run-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/t/lib.bash
test_database bpnn_cancel
# 300,000 rows: 4.6 MB of float4, streamed under a 1 MB bpnn.memory_limit
psql -X -q -d bpnn_cancel -c "CREATE TABLE many_flowers AS SELECT f.* FROM flowers f, generate_series(1, 2000)"
for what in "SELECT bpnn_train('flowers', 'kind', epochs => 1000000)" \
            "SELECT count(*) FROM bpnn_cross_validate('flowers', 'kind', epochs => 1000000)" \
            "SET bpnn.memory_limit = '1MB'; SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000)" \
            "SET bpnn.parallel_training = on; SET bpnn.max_parallel_workers = 2; SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000)" \
            "SET bpnn.max_parallel_workers = 2; SELECT count(*) FROM bpnn_cross_validate('many_flowers', 'kind', epochs => 1000000)"; do
	cancel_within_a_second bpnn_cancel "$what"
	# the parallel workers stop with their leader
	for i in $(seq 10); do
		left=$(psql -X -Atq -d bpnn_cancel -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker'")
		[ "$left" = 0 ] && break
		sleep 0.1
	done
	if [ "$left" = 0 ]; then echo "ok: no parallel worker left"; else echo "FAILED: $left parallel workers still running a second later"; fi
done
