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
	psql -X -q -d bpnn_cancel -c "SET application_name = 'bpnn_cancel_me'" -c "$what" > "$work/out" 2>&1 &
	client=$!
	sleep 1.5
	start=$(date +%s%N)
	psql -X -Atq -d bpnn_cancel -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'bpnn_cancel_me' AND backend_type = 'client backend'" > /dev/null
	wait "$client" || true
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if grep -q "canceling statement due to user request" "$work/out" && [ "$ms" -lt 1000 ]; then
		echo "ok: pg_cancel_backend stopped '${what:7:40}...' in $ms ms"
	else
		echo "FAILED: cancel of '$what' took $ms ms: $(cat "$work/out")"
	fi
done
