#!/usr/bin/env bash
# Training on several cores (issue 11): bpnn_train and bpnn_cross_validate
# with bpnn.max_parallel_workers = each of WORKERS (default "0 1 2"; 0: one
# process), RUNS times each (default 3), in a throwaway cluster; medians of
# the wall clock and of the calling backend's CPU time (the share of the
# work it kept: on a busy machine the wall clock shows the free cores more
# than the split), and the accuracy on held-out rows.
#   train  letter.csv's folds 1-9 (18,000 rows) with bpnn_train's defaults
#          (hidden 64, 200 epochs, batch 32); accuracy on fold 0 (2,000 rows)
#   adam   the same rows with speed.sh's settings: hidden 32, 200 epochs,
#          batch 200, cross-entropy + Adam, learning rate 0.01
#   cv     bpnn_cross_validate of all 20,000 rows, 10 folds, the defaults but
#          CV_EPOCHS epochs (default 20); mean accuracy over the folds
#
#   PG_BINDIR=... bash test/bench/parallel.sh     # PORT (55443), RUNS, WORKERS, CV_EPOCHS, SKIP ("train adam cv")
set -euo pipefail
cd "$(dirname "$0")/../.."
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
port=${PORT:-55443}
runs=${RUNS:-3}
workers_list=${WORKERS:-0 1 2}
cv_epochs=${CV_EPOCHS:-20}
skip=" ${SKIP:-} "
wants() { [[ "$skip" != *" $1 "* ]]; }

[ -n "${PG_BINDIR:-}" ] || test/setup.sh
source test/bench/lib.bash
bench_machine
bench_cluster_start "$bindir" "$port" -c shared_buffers=256MB -c max_parallel_workers_per_gather=0 -c jit=off \
	-c max_worker_processes=16 -c max_parallel_workers=16
letter_features="x_box,y_box,width,high,onpix,x_bar,y_bar,x2bar,y2bar,xybar,x2ybr,xy2br,x_ege,xegvy,y_ege,yegvx"

sql >/dev/null <<SQL
CREATE EXTENSION bpnn;
CREATE TABLE timings (what text, workers int, run int, seconds float8, accuracy float8, leader_cpu float8);
-- the calling backend's CPU time (utime + stime): how much of the work it kept
CREATE FUNCTION cpu_seconds() RETURNS float8 LANGUAGE sql AS \$\$
	SELECT (f[12]::float8 + f[13]::float8) / 100
	FROM (SELECT string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS f) s \$\$;
\o /dev/null
\i test/load_data.sql
\copy csv_lines(line) FROM 'test/data/letter.csv'
SELECT pg_temp.load_csv('letter');
\o
CREATE VIEW letter_train AS SELECT * FROM letter_cv WHERE fold <> 0;
SQL

# time_train WHAT WORKERS RUN EXTRA_ARGS: one bpnn_train of letter_train, scored on fold 0
time_train() {
	sql <<SQL
SET bpnn.parallel_training = on;
SET bpnn.max_parallel_workers = $2;
DO \$\$
DECLARE m bpnn_model; t0 timestamptz; c0 float8; secs float8; cpu float8; acc float8;
BEGIN
	t0 := clock_timestamp();
	c0 := cpu_seconds();
	m := bpnn_train('letter_train', 'label', features => '{$letter_features}'$4);
	secs := extract(epoch FROM clock_timestamp() - t0);
	cpu := cpu_seconds() - c0;
	SELECT avg((bpnn_predict(m, ARRAY[$letter_features]) = label)::int) INTO acc
	FROM letter_cv WHERE fold = 0;
	INSERT INTO timings VALUES ('$1', (bpnn_info(m)->'training'->>'workers')::int, $3, secs, acc, cpu);
END \$\$;
SQL
}

for run in $(seq "$runs"); do
	for w in $workers_list; do
		wants train && time_train train "$w" "$run" ""
		wants adam && time_train "train adam" "$w" "$run" ", hidden => '{32}', epochs => 200, batch_size => 200,
		learning_rate => 0.01, optimizer => 'adam', loss => 'cross_entropy'"
		if wants cv; then
			sql <<SQL
SET bpnn.max_parallel_workers = $w;
DO \$\$
DECLARE t0 timestamptz; c0 float8; secs float8; cpu float8; acc float8;
BEGIN
	t0 := clock_timestamp();
	c0 := cpu_seconds();
	SELECT avg(accuracy) INTO acc FROM bpnn_cross_validate('letter', 'label', folds => 10, epochs => $cv_epochs);
	secs := extract(epoch FROM clock_timestamp() - t0);
	cpu := cpu_seconds() - c0;
	INSERT INTO timings VALUES ('cv', $w, $run, secs, acc, cpu);
END \$\$;
SQL
		fi
	done
done

echo
sql <<SQL
SELECT what, workers,
       round(percentile_disc(0.5) WITHIN GROUP (ORDER BY seconds)::numeric, 2) AS median_seconds,
       round((percentile_disc(0.5) WITHIN GROUP (ORDER BY seconds)
              / (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY seconds) FROM timings z
                 WHERE z.what = t.what AND z.workers = 0))::numeric, 2) AS vs_0_workers,
       round(percentile_disc(0.5) WITHIN GROUP (ORDER BY leader_cpu)::numeric, 2) AS median_leader_cpu,
       round(min(accuracy)::numeric, 4) AS accuracy_min, round(max(accuracy)::numeric, 4) AS accuracy_max,
       count(*) AS runs
FROM timings t GROUP BY what, workers ORDER BY what, workers;
SQL
bench_machine_end
