#!/usr/bin/env bash
# Where the time of bpnn_predict goes besides the multiply-adds: over the
# same 1,000,000 rows (letter.csv x 50) and the same ARRAY[...] of letter's
# columns, no parallel workers, in one backend, alternating, RUNS times
# (default 7), the median CPU time (utime + stime of the backend) of
#   count(ARRAY[...])                      the bare scan
#   count(array_length(ARRAY[...], 1))     a C function call on the array
#   bpnn_predict_value, 15-1-1 ReLU        a regressor: the call, the array's
#                                          reading, the scaler, a net of 16
#                                          multiply-adds and no exponential
#   bpnn_predict, 16-1-26                  a classifier with one hidden unit
#   bpnn_predict, 16-32-26                 letter's model of scoring.sh
# (docs/performance.md).  The models are trained for one to five epochs:
# training does not change the cost of scoring.
#
#   bash test/bench/scoring-floor.sh        # PG_BINDIR, PORT (55443), RUNS as in scoring.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
port=${PORT:-55443}
runs=${RUNS:-7}

[ -n "${PG_BINDIR:-}" ] || test/setup.sh
source test/bench/lib.bash
bench_machine
bench_cluster_start "$bindir" "$port" -c shared_buffers=1GB -c max_parallel_workers_per_gather=0 -c jit=off \
	-c bpnn.max_parallel_workers=0

f15="x_box, y_box, width, high, onpix, x_bar, y_bar, x2bar, y2bar, xybar, x2ybr, xy2br, x_ege, xegvy, y_ege"
f16="$f15, yegvx"
sql >/dev/null <<SQL
CREATE EXTENSION bpnn;
\o /dev/null
\i test/load_data.sql
\copy csv_lines(line) FROM 'test/data/letter.csv'
SELECT pg_temp.load_csv('letter');
\o
SET client_min_messages = warning;
CREATE TABLE letter1m AS SELECT l.* FROM letter l, generate_series(1, 50);
VACUUM ANALYZE letter1m;
CREATE TABLE models AS SELECT
	bpnn_train('letter', 'yegvx', task => 'regression', hidden => '{1}', activation => 'relu',
	           epochs => 1, exclude => '{label}') AS relu_15_1_1,
	bpnn_train('letter', 'label', hidden => '{1}', epochs => 1) AS tiny_16_1_26,
	bpnn_train('letter', 'label', hidden => '{32}', epochs => 5) AS letter_16_32_26;
CREATE TABLE timings (query int, label text, cpu float8);
SQL
bench_cpu_seconds_function

sql <<SQL
DO \$\$
DECLARE
	queries text[] := ARRAY[
		'SELECT count(ARRAY[$f16]) FROM letter1m',
		'SELECT count(array_length(ARRAY[$f16], 1)) FROM letter1m',
		'SELECT count(bpnn_predict_value((SELECT relu_15_1_1 FROM models), ARRAY[$f15])) FROM letter1m',
		'SELECT count(bpnn_predict((SELECT tiny_16_1_26 FROM models), ARRAY[$f16])) FROM letter1m',
		'SELECT count(bpnn_predict((SELECT letter_16_32_26 FROM models), ARRAY[$f16])) FROM letter1m'];
	labels text[] := ARRAY['bare scan count(ARRAY[16 columns])', 'count(array_length(ARRAY[...], 1))',
		'bpnn_predict_value, 15-1-1 relu regressor', 'bpnn_predict, 16-1-26', 'bpnn_predict, 16-32-26'];
	c0 float8;
	n bigint;
BEGIN
	-- run 0, untimed, warms the caches: the first scan of a new table costs more
	FOR run IN 0..$runs LOOP
		FOR q IN 1..array_length(queries, 1) LOOP
			c0 := cpu_seconds();
			EXECUTE queries[q] INTO n;
			IF run > 0 THEN
				INSERT INTO timings VALUES (q, labels[q], cpu_seconds() - c0);
			END IF;
		END LOOP;
	END LOOP;
END
\$\$;
SQL

echo
echo "1,000,000 rows, medians of $runs runs of the backend's CPU time; $(bench_machine_end)"
sql -P footer=off <<SQL
SELECT label AS query, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu)::numeric, 3) AS cpu_s,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu) /
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu) FROM timings WHERE query = 1))::numeric, 2)
           AS ratio_to_scan
FROM timings GROUP BY timings.query, label ORDER BY timings.query;
SQL
