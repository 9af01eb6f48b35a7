#!/usr/bin/env bash
# Issue 5's in-database workloads, in a throwaway cluster, medians of RUNS
# (default 3) measured side by side:
#   training: 200,000 rows x 28 float8 columns (a seeded rule), hidden 32,
#             10 epochs, batch 256, from the SQL call to the stored model;
#   scoring:  count(bpnn_predict(m, ARRAY[28 columns])) over 1,000,000 rows
#             against count(ARRAY[28 columns]), the same expression without
#             the model (what the scan itself costs), no parallel workers;
#   memory:   the training backend's peak resident memory (VmHWM) against
#             its resident memory before training and the packed float4 data.
#   bash test/bench/sql-workloads.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
test/setup.sh
runs=${RUNS:-3}
out=$(mktemp -d)
chmod 777 "$out"
trap 'rm -rf "$out"' EXIT
cols=$(seq -s, -f 'c%g' 1 28)
coldefs=$(seq 1 28 | sed 's/.*/sin(g * 0.37 + & * 1.3) + ((g::bigint * 7919 + & * 104729) % 1000) \/ 1000.0 AS c&/' | paste -sd,)

cat > "$out/bench.sql" <<SQL
\set ON_ERROR_STOP on
SET max_parallel_workers_per_gather = 0;
CREATE EXTENSION bpnn;
CREATE TABLE synth AS
SELECT $coldefs, (g % 2 = 0 AND sin(g * 0.37) > 0 OR g % 7 = 0)::int AS label
FROM generate_series(1, 1000000) g;
CREATE TABLE synth200k AS SELECT * FROM synth LIMIT 200000;
VACUUM ANALYZE synth, synth200k;
CREATE TABLE timings (what text, run int, seconds float8);
CREATE TABLE models (run int, model bpnn_model);
SELECT pg_backend_pid() AS pid \gset
\setenv BACKEND :pid
\! grep VmRSS /proc/\$BACKEND/status | awk '{print \$2}' > $out/rss_before
DO \$\$
DECLARE t0 timestamptz; n bigint;
BEGIN
	FOR r IN 1..$runs LOOP
		t0 := clock_timestamp();
		INSERT INTO models SELECT r, bpnn_train('synth200k', 'label', hidden => '{32}', epochs => 10, batch_size => 256);
		INSERT INTO timings VALUES ('train', r, extract(epoch FROM clock_timestamp() - t0));
	END LOOP;
END
\$\$;
\! grep VmHWM /proc/\$BACKEND/status | awk '{print \$2}' > $out/hwm_after
DO \$\$
DECLARE t0 timestamptz; n bigint; m bpnn_model;
BEGIN
	SELECT model INTO m FROM models WHERE run = 1;
	FOR r IN 1..$runs LOOP
		t0 := clock_timestamp();
		SELECT count(ARRAY[$cols]) INTO n FROM synth;
		INSERT INTO timings VALUES ('scan', r, extract(epoch FROM clock_timestamp() - t0));
		t0 := clock_timestamp();
		SELECT count(bpnn_predict((SELECT model FROM models WHERE run = 1), ARRAY[$cols])) INTO n FROM synth;
		INSERT INTO timings VALUES ('score', r, extract(epoch FROM clock_timestamp() - t0));
	END LOOP;
END
\$\$;
\copy (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM timings GROUP BY what ORDER BY what) TO '$out/medians' CSV
\copy (SELECT (bpnn_info(model)->'training'->>'train_accuracy') FROM models WHERE run = 1) TO '$out/accuracy' CSV
SQL
pg_virtualenv -t -v 15 -o "port=${BPNN_BENCH_PORT:-55441}" psql -X -q -f "$out/bench.sql"

train=$(grep '^train,' "$out/medians" | cut -d, -f2)
scan=$(grep '^scan,' "$out/medians" | cut -d, -f2)
score=$(grep '^score,' "$out/medians" | cut -d, -f2)
rss=$(cat "$out/rss_before")
hwm=$(cat "$out/hwm_after")
packed_kb=$(( 200000 * (28 * 4 + 4) / 1024 ))
awk -v train="$train" -v scan="$scan" -v score="$score" -v rss="$rss" -v hwm="$hwm" \
	-v packed="$packed_kb" -v acc="$(cat "$out/accuracy")" -v runs="$runs" 'BEGIN {
	printf "medians of %d runs, no parallel workers\n", runs
	printf "train 200,000 x 28, hidden 32, 10 epochs, batch 256: %.3f s (training accuracy %.3f)\n", train, acc
	printf "score 1,000,000 rows: %.3f s; the bare scan of the same expression: %.3f s; ratio %.2f\n", score, scan, score / scan
	printf "training backend memory: %d kB before, %d kB peak: %d kB more, %.2f x the packed float4 data (%d kB)\n", rss, hwm, hwm - rss, (hwm - rss) / packed, packed
}'
