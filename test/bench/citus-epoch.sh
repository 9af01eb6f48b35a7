#!/usr/bin/env bash
# Time per training epoch on a Citus cluster against the same table
# undistributed, in the same run: a throwaway coordinator and 2 workers on
# this machine (test/citus/cluster.bash), ROWS (default 500,000) rows x 28
# float8 columns of test/bench/big-data.sh's seeded rule, hidden layer 32,
# distributed in SHARDS (default 32) shards beside a local copy on the
# coordinator.  Medians of RUNS (default 3) of one scan of
#   bpnn_train_epoch (mini-batches of 32, what streaming bpnn_train runs per epoch)
#   bpnn_gradient    (full batch, batch_size => 0)
# with the model as a constant (as streaming bpnn_train passes it) on the
# distributed table, the local copy serially, and the local copy with
# 2 parallel workers.  PG_CONFIG names the PostgreSQL with Citus installed.
#
#   test/bench/citus-epoch.sh        (ROWS=... SHARDS=... RUNS=...)
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/citus/cluster.bash
citus_available || { echo "citus.so or bpnn is not installed for $PG_CONFIG" >&2; exit 1; }
rows=${ROWS:-500000}
shards=${SHARDS:-32}
runs=${RUNS:-3}
trap citus_cluster_stop EXIT
citus_cluster_start
cols=$(seq -s, -f 'c%g' 1 28)
coldefs=$(seq 1 28 | sed 's/.*/sin(g * 0.37 + & * 1.3) + ((g::bigint * 7919 + & * 104729) % 1000) \/ 1000.0 AS c&/' | paste -sd,)
coord <<SQL
CREATE EXTENSION bpnn;
CREATE TABLE big_local AS
SELECT g AS id, $coldefs, (sin(g * 0.37) + ((g::bigint * 7919) % 1000) / 1000.0 > 0.6)::int AS label
FROM generate_series(1, $rows) g;
CREATE TABLE big (LIKE big_local);
SET citus.shard_count = $shards;
SELECT create_distributed_table('big', 'id');
INSERT INTO big SELECT * FROM big_local;
VACUUM ANALYZE big_local;
VACUUM ANALYZE big;
CREATE TABLE m AS SELECT bpnn_train('big_local', 'label', features => '{$cols}', hidden => '{32}', epochs => 1) AS model;
CREATE TABLE timings (what text, source text, seconds float8);
SQL
# each scan in a session of its own, timed around the statement
for r in $(seq 1 "$runs"); do
	for src in big big_local big_local_2; do
		table=${src%_2}
		workers=0; [ "$src" = big_local_2 ] && workers=2
		for agg in epoch gradient; do
			if [ $agg = epoch ]; then
				q="SELECT bpnn_train_epoch(:'mdl'::bpnn_model, ARRAY[$cols], label::text, 0.2, 0.7, 32, 'momentum', 0, 1, 16384) FROM $table"
			else
				q="SELECT bpnn_gradient(:'mdl'::bpnn_model, ARRAY[$cols], label::text) FROM $table"
			fi
			coord -At >/dev/null 2>&1 <<SQL || coord -c "INSERT INTO timings VALUES ('$agg', '$src', NULL)"
SET max_parallel_workers_per_gather = $workers;
SET parallel_setup_cost = 0;
SELECT model AS mdl FROM m \\gset
SELECT clock_timestamp() AS t0 \\gset
$q \\g /dev/null
INSERT INTO timings VALUES ('$agg', '$src', extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));
SQL
		done
	done
done
echo "$rows rows x 28 float8 columns, hidden 32, $shards shards on 2 workers, all nodes on this machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/  */ /g'); load average $(cut -d' ' -f1-3 /proc/loadavg); medians of $runs runs"
echo
echo "| one epoch, seconds | distributed (Citus) | undistributed, serial | undistributed, 2 parallel workers |"
echo "|---|---|---|---|"
coord -At <<'SQL'
SELECT format('| %s | %s | %s | %s |',
              CASE what WHEN 'epoch' THEN 'mini-batch (bpnn_train_epoch)' ELSE 'full batch (bpnn_gradient)' END,
              coalesce(round((percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FILTER (WHERE source = 'big'))::numeric, 2)::text, 'failed'),
              coalesce(round((percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FILTER (WHERE source = 'big_local'))::numeric, 2)::text, 'failed'),
              coalesce(round((percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FILTER (WHERE source = 'big_local_2'))::numeric, 2)::text, 'failed'))
FROM timings GROUP BY what ORDER BY what DESC;
SQL
