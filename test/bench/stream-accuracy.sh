#!/usr/bin/env bash
# Streaming mini-batch training (bpnn_train_epoch, one aggregate scan per
# epoch) against in-memory training, same defaults and epochs, on the
# shipped data sets large enough to stream (the packed rows must exceed the
# memory the network itself needs), as stored and sorted by label.  Prints a Markdown table of the
# final training accuracy (every row scored by the final model) and the
# seconds each run took, for each seed, then the mean over the seeds.
#
#   test/bench/stream-accuracy.sh            (EPOCHS=50 and SEEDS="1" by default)
#   EPOCHS=200 SEEDS="1 2 3" nice test/bench/stream-accuracy.sh
#
# Runs against the server psql reaches through PGHOST/PGPORT/PGUSER (with
# bpnn installed), in a scratch database it creates and drops.  Under
# pg_virtualenv that is a throwaway cluster.  bpnn.memory_limit is set to
# 9/10 of each set's packed size, so every streaming run streams.  In-memory
# training runs in one process (bpnn.max_parallel_workers = 0): with parallel
# workers it would average shards' models (test/bench/parallel.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${EPOCHS:-50}
seeds=${SEEDS:-1}
load() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(load)
db=bpnn_stream_bench_$$
psql -qX -d postgres -c "CREATE DATABASE $db" >/dev/null
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
run() { psql -qX -v ON_ERROR_STOP=1 -d "$db" "$@"; }

# load_data.sql's loader, for letter and shuttle too (its session's temp function)
run >/dev/null <<'SQL'
CREATE EXTENSION bpnn;
\i test/load_data.sql
\copy csv_lines(line) FROM 'test/data/letter.csv'
SELECT pg_temp.load_csv('letter');
\copy csv_lines(line) FROM 'test/data/shuttle.csv'
SELECT pg_temp.load_csv('shuttle');
SQL

echo "| data set | rows | memory_limit | seed | in memory | streaming | streaming, sorted by label | seconds (memory / stream / sorted) |"
echo "|---|---|---|---|---|---|---|---|"
for name in digits letter shuttle; do
	run -At <<SQL
SET client_min_messages = warning;
CREATE TABLE ${name}_sorted AS SELECT * FROM $name ORDER BY label;
CREATE TABLE ${name}_runs (seed int, what text, accuracy float8, seconds float8);
SQL
	for seed in $seeds; do
		run -At <<SQL
SET client_min_messages = warning;
SET bpnn.max_parallel_workers = 0;
-- 9/10 of the packed float4 rows: streaming is forced
SELECT ((SELECT count(*) FROM $name) * (SELECT count(*) FROM pg_attribute
        WHERE attrelid = '$name'::regclass AND attnum > 0 AND NOT attisdropped) * 4 * 9 / 10240)::int AS kb \gset
INSERT INTO ${name}_runs SELECT $seed, 'memory', (i->'training'->>'train_accuracy')::float8, (i->'training'->>'seconds')::float8
FROM (SELECT bpnn_info(bpnn_train('$name', 'label', epochs => $epochs, seed => $seed)) i) t;
SELECT set_config('bpnn.memory_limit', greatest(:kb, 64) || 'kB', false) \g /dev/null
INSERT INTO ${name}_runs SELECT $seed, 'stream', (i->'training'->>'train_accuracy')::float8, (i->'training'->>'seconds')::float8
FROM (SELECT bpnn_info(bpnn_train('$name', 'label', epochs => $epochs, seed => $seed)) i) t;
INSERT INTO ${name}_runs SELECT $seed, 'sorted', (i->'training'->>'train_accuracy')::float8, (i->'training'->>'seconds')::float8
FROM (SELECT bpnn_info(bpnn_train('${name}_sorted', 'label', epochs => $epochs, seed => $seed)) i) t;
SELECT format('| %s | %s | %s kB | %s | %s | %s | %s | %s / %s / %s |', '$name', (SELECT count(*) FROM $name),
              greatest(:kb, 64), $seed,
              (SELECT round(accuracy::numeric, 4) FROM ${name}_runs WHERE seed = $seed AND what = 'memory'),
              (SELECT round(accuracy::numeric, 4) FROM ${name}_runs WHERE seed = $seed AND what = 'stream'),
              (SELECT round(accuracy::numeric, 4) FROM ${name}_runs WHERE seed = $seed AND what = 'sorted'),
              (SELECT round(seconds::numeric, 1) FROM ${name}_runs WHERE seed = $seed AND what = 'memory'),
              (SELECT round(seconds::numeric, 1) FROM ${name}_runs WHERE seed = $seed AND what = 'stream'),
              (SELECT round(seconds::numeric, 1) FROM ${name}_runs WHERE seed = $seed AND what = 'sorted'));
SQL
	done
	run -At <<SQL
SELECT format('| %s | | | mean of %s | %s | %s | %s | |', '$name', count(DISTINCT seed),
              round(avg(accuracy) FILTER (WHERE what = 'memory')::numeric, 4),
              round(avg(accuracy) FILTER (WHERE what = 'stream')::numeric, 4),
              round(avg(accuracy) FILTER (WHERE what = 'sorted')::numeric, 4))
FROM ${name}_runs;
SQL
done
echo
echo "epochs $epochs, seeds $seeds, every other argument bpnn_train's default; $(lscpu | grep 'Model name' | sed 's/  */ /g'); load average $load_start at the start, $(load) at the end"
