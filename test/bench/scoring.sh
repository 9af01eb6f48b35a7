#!/usr/bin/env bash
# Scoring speed against the bare scan (issue 11): for each model shape,
#   count(bpnn_predict(m, <features>)) FROM t   against   count(<features>) FROM t
# over the same rows and the same feature expression, no parallel workers,
# alternating, RUNS times (default 5) in one backend; medians of the backend's
# CPU time (utime + stime from /proc/self/stat, which a loaded machine
# disturbs less than the wall clock) and of the wall clock.  Shapes:
#   letter    16-32-26, bipolar sigmoid, squared error (letter.csv x 50: 1,000,000 rows)
#   defaults  letter with bpnn_train's defaults (16-64-26), epochs => 5
#   synth     28-32-2, tanh (speed.sh's seeded rule, 1,000,000 rows x 28 float8)
#   mnist     784-128-10, tanh, softmax + cross-entropy, a float4[] column
#             (MNIST_ROWS rows, default 120,000: the training set twice)
# Training epochs do not change the cost of scoring and are kept small.
# The models are trained in one process (the cluster runs with
# bpnn.max_parallel_workers = 0), so they are the same whatever
# max_parallel_maintenance_workers is; scoring uses no parallel workers.
#
#   bash test/bench/scoring.sh          # PG_BINDIR, PORT (55443), RUNS, SKIP as in speed.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
port=${PORT:-55443}
runs=${RUNS:-5}
mnist_rows=${MNIST_ROWS:-120000}
skip=" ${SKIP:-} "
wants() { [[ "$skip" != *" $1 "* ]]; }

[ -n "${PG_BINDIR:-}" ] || test/setup.sh
source test/bench/lib.bash
bench_machine
bench_cluster_start "$bindir" "$port" -c shared_buffers=2GB -c max_parallel_workers_per_gather=0 -c jit=off \
	-c bpnn.max_parallel_workers=0

letter_features="x_box, y_box, width, high, onpix, x_bar, y_bar, x2bar, y2bar, xybar, x2ybr, xy2br, x_ege, xegvy, y_ege, yegvx"
synth_cols=$(seq -s, -f 'c%g' 1 28)
synth_defs=$(seq 1 28 | sed 's/.*/sin(g * 0.37 + & * 1.3) + ((g::bigint * 7919 + & * 104729) % 1000) \/ 1000.0 AS c&/' | paste -sd,)

sql <<SQL
CREATE EXTENSION bpnn;
CREATE TABLE timings (shape text, what text, run int, cpu float8, wall float8);
CREATE TABLE models (shape text PRIMARY KEY, m bpnn_model, source text, features text);
SQL
bench_cpu_seconds_function

if wants letter || wants defaults; then
	sql >/dev/null <<SQL
\o /dev/null
\i test/load_data.sql
\copy csv_lines(line) FROM 'test/data/letter.csv'
SELECT pg_temp.load_csv('letter');
\o
CREATE TABLE letter1m AS SELECT l.* FROM letter l, generate_series(1, 50);
VACUUM ANALYZE letter1m;
INSERT INTO models SELECT 'letter 16-32-26 bipolar sigmoid',
	bpnn_train('letter', 'label', hidden => '{32}', epochs => 5), 'letter1m', 'ARRAY[$letter_features]';
INSERT INTO models SELECT 'defaults 16-64-26', bpnn_train('letter', 'label', epochs => 5),
	'letter1m', 'ARRAY[$letter_features]';
SQL
	wants letter || sql -c "DELETE FROM models WHERE shape LIKE 'letter%'"
	wants defaults || sql -c "DELETE FROM models WHERE shape LIKE 'defaults%'"
fi
if wants synth; then
	sql <<SQL
CREATE TABLE synth AS
SELECT $synth_defs, (g % 2 = 0 AND sin(g * 0.37) > 0 OR g % 7 = 0)::int AS label
FROM generate_series(1, 1000000) g;
VACUUM ANALYZE synth;
CREATE VIEW synth50k AS SELECT * FROM synth LIMIT 50000;
INSERT INTO models SELECT '28-32-2 tanh',
	bpnn_train('synth50k', 'label', hidden => '{32}', activation => 'tanh', epochs => 3), 'synth', 'ARRAY[$synth_cols]';
SQL
fi
if wants mnist; then
	sql <<SQL
CREATE TABLE mnist_lines (line text);
\copy mnist_lines FROM PROGRAM 'zcat $repo/test/data/mnist_train.csv.gz | tail -n +2'
CREATE TABLE mnist_train AS
SELECT f[785]::int AS label, f[1:784]::float4[] AS pixels
FROM (SELECT string_to_array(line, ',') AS f FROM mnist_lines) s;
DROP TABLE mnist_lines;
CREATE TABLE mnist_score AS
SELECT t.* FROM generate_series(1, ($mnist_rows + 59999) / 60000) i, mnist_train t LIMIT $mnist_rows;
VACUUM ANALYZE mnist_train, mnist_score;
INSERT INTO models SELECT '784-128-10 tanh cross-entropy float4[]',
	bpnn_train('mnist_train', 'label', hidden => '{128}', activation => 'tanh', loss => 'cross_entropy',
	           epochs => 1, batch_size => 128), 'mnist_score', 'pixels::float8[]';
SQL
fi

# one backend: alternate the bare scan and the scoring query of each shape
sql <<SQL
DO \$\$
DECLARE s record; c0 float8; t0 timestamptz; n bigint;
BEGIN
	FOR run IN 1..$runs LOOP
		FOR s IN SELECT * FROM models ORDER BY shape LOOP
			c0 := cpu_seconds(); t0 := clock_timestamp();
			EXECUTE format('SELECT count(%s) FROM %I', s.features, s.source) INTO n;
			INSERT INTO timings VALUES (s.shape, 'scan', run, cpu_seconds() - c0,
				extract(epoch FROM clock_timestamp() - t0));
			c0 := cpu_seconds(); t0 := clock_timestamp();
			EXECUTE format('SELECT count(bpnn_predict(\$1, %s)) FROM %I', s.features, s.source) INTO n USING s.m;
			INSERT INTO timings VALUES (s.shape, 'predict', run, cpu_seconds() - c0,
				extract(epoch FROM clock_timestamp() - t0));
		END LOOP;
	END LOOP;
END
\$\$;
SQL

echo
echo "scoring against the bare scan, medians of $runs runs; models trained with bpnn.max_parallel_workers = $(sql -A -t -c "SHOW bpnn.max_parallel_workers"); $(bench_machine_end)"
sql -P footer=off <<SQL
SELECT shape, (SELECT reltuples::bigint FROM pg_class WHERE relname = m.source) AS rows,
       round(scan_cpu::numeric, 3) AS scan_cpu_s, round(predict_cpu::numeric, 3) AS predict_cpu_s,
       round((predict_cpu / scan_cpu)::numeric, 2) AS cpu_ratio,
       round(scan_wall::numeric, 3) AS scan_wall_s, round(predict_wall::numeric, 3) AS predict_wall_s,
       round((predict_wall / scan_wall)::numeric, 2) AS wall_ratio
FROM models m,
     LATERAL (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu) FILTER (WHERE what = 'scan') AS scan_cpu,
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu) FILTER (WHERE what = 'predict') AS predict_cpu,
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY wall) FILTER (WHERE what = 'scan') AS scan_wall,
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY wall) FILTER (WHERE what = 'predict') AS predict_wall
              FROM timings t WHERE t.shape = m.shape) x
ORDER BY shape;
SQL
