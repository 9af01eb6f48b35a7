#!/usr/bin/env bash
# Issue 10's one-machine measurements on issue 3's table (test/bench/big-data.sh's
# seeded rule): ROWS (default 2,000,000) rows x 28 float8 columns, a two-class
# label, hidden layer 32.
#   - one streaming mini-batch epoch (the bpnn_train_epoch scan streaming
#     bpnn_train runs per epoch, batch 32) and one full-batch epoch (the
#     bpnn_gradient scan), with 0 and with 2 parallel workers, medians of RUNS
#     (default 3);
#   - the training accuracy after EPOCHS (default 10) epochs of bpnn_train with
#     its defaults (batch 32, momentum): streaming (bpnn.memory_limit 16MB,
#     2 workers of parallel query) against in memory in one process
#     (bpnn.max_parallel_workers = 0 in both, which only in-memory training
#     reads).
#
#   test/bench/stream-epochs.sh        (ROWS=... RUNS=... EPOCHS=... to change)
#
# Runs against the server psql reaches through PGHOST/PGPORT/PGUSER (bpnn
# installed, max_parallel_workers >= 2), in a scratch database it drops.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${ROWS:-2000000}
runs=${RUNS:-3}
epochs=${EPOCHS:-10}
db=bpnn_stream_epochs_$$
psql -qX -d postgres -c "CREATE DATABASE $db" >/dev/null
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
run() { psql -qX -v ON_ERROR_STOP=1 -d "$db" "$@"; }
cols=$(seq -s, -f 'c%g' 1 28)
coldefs=$(seq 1 28 | sed 's/.*/sin(g * 0.37 + & * 1.3) + ((g::bigint * 7919 + & * 104729) % 1000) \/ 1000.0 AS c&/' | paste -sd,)

run <<SQL
CREATE EXTENSION bpnn;
CREATE TABLE big AS
SELECT g AS id, $coldefs, (sin(g * 0.37) + ((g::bigint * 7919) % 1000) / 1000.0 > 0.6)::int AS label
FROM generate_series(1, $rows) g;
VACUUM ANALYZE big;
SET max_parallel_workers_per_gather = 0;
SET bpnn.memory_limit = '16MB';
SET client_min_messages = warning;
CREATE TABLE m AS SELECT bpnn_train('big', 'label', features => '{$cols}', hidden => '{32}', epochs => 1, batch_size => 0) AS model;
CREATE TABLE timings (what text, run int, seconds float8);
SQL

run <<SQL
DO \$\$
DECLARE t0 timestamptz; g bpnn_state; mdl bpnn_model; trained bpnn_model; w int;
BEGIN
	SELECT model INTO mdl FROM m;
	FOR r IN 1..$runs LOOP
		FOREACH w IN ARRAY ARRAY[0, 2] LOOP
			PERFORM set_config('max_parallel_workers_per_gather', w::text, true);
			t0 := clock_timestamp();
			EXECUTE 'SELECT bpnn_train_epoch(\$1, ARRAY[$cols], label::text, 0.2, 0.7, 32, ''momentum'', 0, 1, 16384) FROM big'
				INTO trained USING mdl;
			INSERT INTO timings VALUES ('mini-batch epoch (bpnn_train_epoch)', r * 10 + w, extract(epoch FROM clock_timestamp() - t0));
			t0 := clock_timestamp();
			EXECUTE 'SELECT bpnn_gradient(\$1, ARRAY[$cols], label::text) FROM big' INTO g USING mdl;
			INSERT INTO timings VALUES ('full-batch epoch (bpnn_gradient)', r * 10 + w, extract(epoch FROM clock_timestamp() - t0));
		END LOOP;
	END LOOP;
END
\$\$;
SQL

echo "$rows rows x 28 float8 columns, hidden 32; medians of $runs runs; $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/  */ /g'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| one streaming epoch, seconds | 0 workers | 2 workers |"
echo "|---|---|---|"
run -At <<'SQL'
SELECT format('| %s | %s | %s |', what,
              round(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FILTER (WHERE run % 10 = 0)::numeric, 2),
              round(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FILTER (WHERE run % 10 = 2)::numeric, 2))
FROM timings GROUP BY what ORDER BY what DESC;
SQL
echo
echo "| bpnn_train, $epochs epochs, defaults (batch 32, momentum), hidden 32 | training accuracy | seconds |"
echo "|---|---|---|"
for mode in streaming memory; do
	if [ "$mode" = streaming ]; then limit=16MB; workers=2; else limit=1GB; workers=0; fi
	run -At <<SQL
SET client_min_messages = warning;
SET bpnn.memory_limit = '$limit';
SET max_parallel_workers_per_gather = $workers;
SET bpnn.max_parallel_workers = 0;
SELECT format('| %s (bpnn.memory_limit %s, %s workers) | %s | %s |', '$mode', '$limit', $workers,
              round((i->'training'->>'train_accuracy')::numeric, 4), round((i->'training'->>'seconds')::numeric, 1))
FROM (SELECT bpnn_info(bpnn_train('big', 'label', features => '{$cols}', hidden => '{32}', epochs => $epochs)) i) t;
SQL
done
