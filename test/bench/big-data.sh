#!/usr/bin/env bash
# Issue 3's measurements, in a throwaway cluster, medians of RUNS (default 3)
# measured side by side:
#   - a table of ROWS (default 2,000,000) rows x 28 float8 columns (a seeded
#     rule) and a two-class label; hidden layer 32;
#   - one streaming epoch (the bpnn_gradient scan bpnn_train runs per epoch)
#     against the bare scan SELECT sum(c1 + ... + c28) of the same columns,
#     with 0 and with 2 parallel workers;
#   - bpnn_train on the streaming path (bpnn.memory_limit 16MB, 3 epochs)
#     and on the in-memory path (3 full-batch epochs), in seconds per epoch;
#   - peak private memory (RssAnon, sampled every 20 ms; shared buffers are
#     not private) of the training backend on the streaming path at 1/4,
#     1/2 and all of the rows, and on the in-memory path against the packed
#     float4 data.
#   bash test/bench/big-data.sh            (ROWS=... RUNS=... to change)
set -euo pipefail
cd "$(dirname "$0")/../.."
test/setup.sh
rows=${ROWS:-2000000}
runs=${RUNS:-3}
out=$(mktemp -d)
chmod 777 "$out"
trap 'rm -rf "$out"' EXIT
cols=$(seq -s, -f 'c%g' 1 28)
sumcols=$(seq -s+ -f 'c%g' 1 28)
coldefs=$(seq 1 28 | sed 's/.*/sin(g * 0.37 + & * 1.3) + ((g::bigint * 7919 + & * 104729) % 1000) \/ 1000.0 AS c&/' | paste -sd,)

# peak RssAnon (kB) of the backend named in $1 until $3 exists, written to $2
sample_memory() {
	local pidfile=$1 result=$2 done=$3 peak=0 pid v
	while [ ! -s "$pidfile" ] && [ ! -e "$done" ]; do sleep 0.01; done
	pid=$(cat "$pidfile" 2>/dev/null || echo 0)
	while [ ! -e "$done" ] && [ -e "/proc/$pid/status" ]; do
		v=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
		[ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
		sleep 0.02
	done
	echo "$peak" > "$result"
}

cat > "$out/setup.sql" <<SQL
\set ON_ERROR_STOP on
CREATE EXTENSION bpnn;
CREATE TABLE big AS
SELECT g AS id, $coldefs, (sin(g * 0.37) + ((g::bigint * 7919) % 1000) / 1000.0 > 0.6)::int AS label
FROM generate_series(1, $rows) g;
VACUUM ANALYZE big;
CREATE VIEW quarter AS SELECT * FROM big WHERE id <= $rows / 4;
CREATE VIEW half AS SELECT * FROM big WHERE id <= $rows / 2;
CREATE TABLE timings (what text, run int, seconds float8);
SET max_parallel_workers_per_gather = 0;
CREATE TABLE m AS SELECT bpnn_train('quarter', 'label', features => '{$cols}', hidden => '{32}', epochs => 1) AS model;
SQL

cat > "$out/time.sql" <<SQL
\set ON_ERROR_STOP on
SET max_parallel_workers = 8;
DO \$\$
DECLARE t0 timestamptz; s float8; g bpnn_state; mdl bpnn_model; w int;
BEGIN
	SELECT model INTO mdl FROM m;
	FOR r IN 1..$runs LOOP
		FOREACH w IN ARRAY ARRAY[0, 2] LOOP
			PERFORM set_config('max_parallel_workers_per_gather', w::text, true);
			-- EXECUTE: planned now, with this many workers (a static
			-- statement would keep its first plan)
			t0 := clock_timestamp();
			EXECUTE 'SELECT sum($sumcols) FROM big' INTO s;
			INSERT INTO timings VALUES ('scan ' || w || ' workers', r, extract(epoch FROM clock_timestamp() - t0));
			t0 := clock_timestamp();
			EXECUTE 'SELECT bpnn_gradient(\$1, ARRAY[$cols], label::text) FROM big' INTO g USING mdl;
			INSERT INTO timings VALUES ('streaming epoch ' || w || ' workers', r, extract(epoch FROM clock_timestamp() - t0));
		END LOOP;
	END LOOP;
END
\$\$;
\copy (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM timings GROUP BY what ORDER BY what) TO '$out/medians' CSV
SQL

# one training in a backend of its own, its peak private memory sampled
train() {	# name source memory_limit workers
	local name=$1 source=$2 limit=$3 workers=$4
	rm -f "$out/pid" "$out/done"
	sample_memory "$out/pid" "$out/peak_$name" "$out/done" &
	local sampler=$!
	psql -X -q -v ON_ERROR_STOP=1 -At > "$out/train_$name" 2>&1 <<SQL || true
SET client_min_messages = warning;
SET bpnn.memory_limit = '$limit';
SET max_parallel_workers_per_gather = $workers;
\o $out/base_$name
SELECT pg_backend_pid();
\o
\! awk '/^RssAnon/ {print \$2}' /proc/\$(cat $out/base_$name)/status > $out/rss_$name; cp $out/base_$name $out/pid
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT bpnn_info(bpnn_train('$source', 'label', features => '{$cols}', hidden => '{32}', epochs => 3, batch_size => 0))->'training'->>'train_accuracy';
SELECT extract(epoch FROM clock_timestamp()) - :t0;
SQL
	touch "$out/done"
	wait "$sampler"
	cat "$out/train_$name" >&2
}

export -f sample_memory train
run_all() {
	set -e
	psql -X -q -f "$out/setup.sql"
	psql -X -q -f "$out/time.sql"
	for r in $(seq 1 "$runs"); do
		train "stream_all_$r" big 16MB 2
		train "memory_all_$r" big 1GB 0
	done
	train stream_quarter quarter 16MB 2
	train stream_half half 16MB 2
}
export -f run_all
export out runs cols
pg_virtualenv -t -v 15 -o "port=${BPNN_BENCH_PORT:-55442}" \
	-o "max_parallel_workers=8" -o "shared_buffers=256MB" bash -c run_all

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
field() { grep "^$1," "$out/medians" | cut -d, -f2; }
packed_kb=$(( rows * (28 * 4 + 4) / 1024 ))
stream_s=$(for r in $(seq 1 "$runs"); do tail -1 "$out/train_stream_all_$r"; done | median)
memory_s=$(for r in $(seq 1 "$runs"); do tail -1 "$out/train_memory_all_$r"; done | median)
peak() { echo $(( $(cat "$out/peak_$1") - $(cat "$out/rss_$1") )); }
stream_peak=$(for r in $(seq 1 "$runs"); do peak "stream_all_$r"; done | median)
memory_peak=$(for r in $(seq 1 "$runs"); do peak "memory_all_$r"; done | median)

echo "$rows rows x 28 float8 columns, hidden 32; medians of $runs runs; $(nproc) cores"
printf '%-44s %10s %10s\n' "" "0 workers" "2 workers"
printf '%-44s %10.3f %10.3f\n' "bare scan: SELECT sum(c1 + ... + c28), s" "$(field 'scan 0 workers')" "$(field 'scan 2 workers')"
printf '%-44s %10.3f %10.3f\n' "one streaming epoch (bpnn_gradient scan), s" "$(field 'streaming epoch 0 workers')" "$(field 'streaming epoch 2 workers')"
awk -v a="$(field 'streaming epoch 0 workers')" -v b="$(field 'scan 0 workers')" \
	-v c="$(field 'streaming epoch 2 workers')" -v d="$(field 'scan 2 workers')" \
	'BEGIN { printf "%-44s %10.2f %10.2f\n", "epoch / bare scan", a / b, c / d }'
awk -v s="$stream_s" -v m="$memory_s" -v sp="$stream_peak" -v mp="$memory_peak" -v packed="$packed_kb" 'BEGIN {
	printf "bpnn_train, 3 full-batch epochs: streaming (16MB limit, 2 workers) %.2f s = %.2f s per scan (5 scans);", s, s / 5
	printf " in memory %.2f s\n", m
	printf "peak private memory of the training backend: streaming %d kB; in memory %d kB = %.2f x the packed float4 data (%d kB)\n", sp, mp, mp / packed, packed
}'
printf 'streaming peak private memory as rows grow: %s rows %d kB, %s rows %d kB, %s rows %d kB\n' \
	$(( rows / 4 )) "$(peak stream_quarter)" $(( rows / 2 )) "$(peak stream_half)" "$rows" "$stream_peak"
