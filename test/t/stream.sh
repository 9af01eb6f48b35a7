#!/usr/bin/env bash
# A table ten times larger than bpnn.memory_limit trains by streaming and
# reports its progress (bpnn.progress): run under pg_virtualenv
# (test/run-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/t/lib.bash
test_database bpnn_stream
# 60,000 rows x (4 float4 + a class id) = 1172 kB: over 18 times the
# smallest bpnn.memory_limit, 64 kB
psql -X -q -d bpnn_stream -c "CREATE TABLE many_flowers AS SELECT f.* FROM flowers f, generate_series(1, 400)"
psql -X -At -d bpnn_stream > "$work/out" 2>&1 <<'SQL'
SET bpnn.memory_limit = '64kB';
SET bpnn.progress = on;
SELECT bpnn_info(m)->'training'->>'rows_used', (bpnn_info(m)->'training'->>'train_accuracy')::float8 > 0.9
FROM (SELECT bpnn_train('many_flowers', 'kind', hidden => '{8}', epochs => 20, optimizer => 'adam', learning_rate => 0.1) AS m) s;
SQL
progress=$(grep -c 'NOTICE:  epoch [0-9]* of 20: loss [0-9.e-]*, training accuracy' "$work/out" || true)
if grep -q 'training by streaming' "$work/out" && [ "$progress" -ge 10 ] && grep -q '^60000|t$' "$work/out"; then
	echo "ok: a table 18 times bpnn.memory_limit trained by streaming, with $progress progress reports"
else
	echo "FAILED: streaming training: $(cat "$work/out")"
fi
