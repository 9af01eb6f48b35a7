#!/usr/bin/env bash
# The speed benchmark of issue 5, one command, in a throwaway cluster that
# it creates and removes; every figure is a median of RUNS runs (default 3)
# measured in the same run, so ratios are side by side:
#   1. letter.csv (fold 0 of test/load_data.sql held out): bpnn_train, hidden
#      32, 200 epochs, batch 200, learning rate 0.01, momentum 0.9, z-score,
#      the research's momentum rule and cross-entropy + Adam; scikit-learn's
#      MLPClassifier (fit only) and PyTorch (the training loop only, SGD
#      with momentum) with the same settings; held-out accuracy of each;
#   2. 200,000 x 28 float8 columns (a seeded rule): hidden 32, 10 epochs,
#      batch 256, from the SQL call to the stored model;
#   3. MNIST (test/data/mnist_*.csv.gz, 60,000 x 784 as a float8[] column):
#      hidden 128 tanh, softmax + cross-entropy, 10 epochs, batch 128,
#      learning rate 0.01, momentum 0.9, z-score: seconds per epoch (the
#      whole SQL call, scan included, over 10) and test accuracy, against
#      PyTorch with the same settings (training loop over 10);
#   4. scoring: count(bpnn_predict(m, ARRAY[28 columns])) over 1,000,000 rows
#      against count(ARRAY[28 columns]), the bare scan of the same
#      expression, no parallel workers, alternating;
#   5. the training backend's peak resident memory (VmHWM) on workload 2
#      against the packed float32 data (rows x (features + label) x 4 bytes).
# bpnn trains in one process: the cluster runs with
# bpnn.max_parallel_workers = 0 (every session), so these are one-process
# figures whatever max_parallel_maintenance_workers is; test/bench/parallel.sh
# measures training with parallel workers.
#
#   bash test/bench/speed.sh
#
# Settings (environment):
#   PG_BINDIR  PostgreSQL 15 binaries with bpnn installed (default: the
#              system's, /usr/lib/postgresql/15/bin, as test/setup.sh leaves
#              it; a private install: make install PG_CONFIG=.../pg_config,
#              then PG_BINDIR=$(.../pg_config --bindir))
#   PORT       the throwaway cluster's port (default 55442)
#   RUNS       runs per figure (default 3)
#   SKIP       space-separated parts to leave out: letter synth mnist score
#   TORCH_THREADS  PyTorch's threads (default 1: bpnn trains in one process)
#
# Python: /usr/bin/python3 with Debian's python3-numpy, python3-sklearn and
# python3-torch, installed here if missing.  Debian links numpy and torch
# to libblas.so.3, which is the slow reference BLAS unless an optimized one
# is installed; rather than switch the machine's BLAS, the Python side
# runs with Debian's OpenBLAS (libopenblas0-pthread, fetched with apt-get
# download into a cache and put on LD_LIBRARY_PATH for those processes
# only), one thread, so both libraries get a fast sgemm.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
port=${PORT:-55442}
runs=${RUNS:-3}
skip=" ${SKIP:-} "
torch_threads=${TORCH_THREADS:-1}
wants() { [[ "$skip" != *" $1 "* ]]; }

# the default: build and install into the system PostgreSQL 15, as the tests do
[ -n "${PG_BINDIR:-}" ] || test/setup.sh

source test/bench/lib.bash
bench_machine

for pkg in python3-numpy python3-sklearn python3-torch; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $pkg"
done
if [ -n "${missing:-}" ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# Debian's OpenBLAS for the Python side, without installing it
blas_dir=${XDG_CACHE_HOME:-$HOME/.cache}/bpnn-bench/openblas
if [ ! -e "$blas_dir/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3" ]; then
	mkdir -p "$blas_dir"
	(cd "$blas_dir" && apt-get download -qq libopenblas0-pthread 2>/dev/null &&
		dpkg -x libopenblas0-pthread_*.deb . && rm -f libopenblas0-pthread_*.deb) ||
		echo "note: libopenblas0-pthread not available; Python runs on the system BLAS" >&2
fi
python_env=(env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS="$torch_threads")
if [ -e "$blas_dir/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3" ]; then
	python_env+=(LD_LIBRARY_PATH="$blas_dir/usr/lib/x86_64-linux-gnu/openblas-pthread")
fi

bench_cluster_start "$bindir" "$port" -c shared_buffers=1GB -c max_parallel_workers_per_gather=0 \
	-c bpnn.max_parallel_workers=0
out=$bench_out
sql -c "CREATE EXTENSION bpnn" -c "CREATE TABLE timings (what text, run int, seconds float8, accuracy float8)"
workers_setting=$(sql -A -t -c "SHOW bpnn.max_parallel_workers")

cols=$(seq -s, -f 'c%g' 1 28)
letter_features="x_box, y_box, width, high, onpix, x_bar, y_bar, x2bar, y2bar, xybar, x2ybr, xy2br, x_ege, xegvy, y_ege, yegvx"

# --- 1. letter -----------------------------------------------------------------
if wants letter; then
	sql >/dev/null <<SQL
\o /dev/null
\i test/load_data.sql
\copy csv_lines(line) FROM 'test/data/letter.csv'
SELECT pg_temp.load_csv('letter');
\o
CREATE VIEW letter_train AS SELECT * FROM letter_cv WHERE fold <> 0;
\copy (SELECT fold FROM letter_cv ORDER BY n) TO '$out/letter_folds.txt'
SQL
	sql <<SQL
DO \$\$
DECLARE m bpnn_model; t0 timestamptz; secs float8; acc float8; v text;
BEGIN
	FOREACH v IN ARRAY ARRAY['momentum', 'adam'] LOOP
		FOR run IN 1..$runs LOOP
			t0 := clock_timestamp();
			m := bpnn_train('letter_train', 'label',
				features => string_to_array(replace('$letter_features', ' ', ''), ','),
				hidden => '{32}', epochs => 200, batch_size => 200, learning_rate => 0.01,
				momentum => 0.9, normalization => 'zscore', optimizer => v,
				loss => CASE v WHEN 'adam' THEN 'cross_entropy' ELSE 'squared_error' END);
			secs := extract(epoch FROM clock_timestamp() - t0);
			SELECT avg((bpnn_predict(m, ARRAY[$letter_features]) = label)::int)
			INTO acc FROM letter_cv WHERE fold = 0;
			INSERT INTO timings VALUES ('letter bpnn ' || v, run, secs, acc);
		END LOOP;
	END LOOP;
END
\$\$;
SQL
	"${python_env[@]}" /usr/bin/python3 test/bench/speed.py letter "$out" "$runs" "$torch_threads" >> "$out/python.csv"
fi

# --- 2. and 5. the 200,000 x 28 workload, and memory ---------------------------
coldefs=$(seq 1 28 | sed 's/.*/sin(g * 0.37 + & * 1.3) + ((g::bigint * 7919 + & * 104729) % 1000) \/ 1000.0 AS c&/' | paste -sd,)
if wants synth || wants score; then
	sql <<SQL
CREATE TABLE synth AS
SELECT $coldefs, (g % 2 = 0 AND sin(g * 0.37) > 0 OR g % 7 = 0)::int AS label
FROM generate_series(1, 1000000) g;
CREATE TABLE synth200k AS SELECT * FROM synth LIMIT 200000;
VACUUM ANALYZE synth, synth200k;
SQL
	# memory: a fresh backend, its resident size before and its peak after one
	# training; it reads the table first, so that the shared buffers holding it
	# are part of both figures and the difference is the backend's own memory
	sql -A -t > /dev/null <<SQL
SELECT count(ARRAY[$cols]) FROM synth200k;
SELECT pg_backend_pid() AS pid \gset
\setenv BACKEND :pid
\! grep VmRSS /proc/\$BACKEND/status | awk '{print \$2}' > $out/rss_before
CREATE TABLE models AS SELECT bpnn_train('synth200k', 'label', hidden => '{32}', epochs => 10, batch_size => 256) AS model;
\! grep VmHWM /proc/\$BACKEND/status | awk '{print \$2}' > $out/hwm_after
SQL
fi
if wants synth; then
	sql <<SQL
DO \$\$
DECLARE t0 timestamptz; m bpnn_model;
BEGIN
	FOR r IN 1..$runs LOOP
		t0 := clock_timestamp();
		m := bpnn_train('synth200k', 'label', hidden => '{32}', epochs => 10, batch_size => 256);
		INSERT INTO timings VALUES ('synth train', r, extract(epoch FROM clock_timestamp() - t0),
									(bpnn_info(m)->'training'->>'train_accuracy')::float8);
	END LOOP;
END
\$\$;
SQL
fi

# --- 4. scoring ------------------------------------------------------------------
if wants score; then
	sql <<SQL
SELECT count(ARRAY[$cols]) FROM synth \g /dev/null
DO \$\$
DECLARE t0 timestamptz; n bigint;
BEGIN
	FOR r IN 1..$runs LOOP
		t0 := clock_timestamp();
		SELECT count(ARRAY[$cols]) INTO n FROM synth;
		INSERT INTO timings VALUES ('scan', r, extract(epoch FROM clock_timestamp() - t0));
		t0 := clock_timestamp();
		SELECT count(bpnn_predict((SELECT model FROM models), ARRAY[$cols])) INTO n FROM synth;
		INSERT INTO timings VALUES ('score', r, extract(epoch FROM clock_timestamp() - t0));
	END LOOP;
END
\$\$;
SQL
fi

# --- 3. MNIST ----------------------------------------------------------------------
if wants mnist; then
	sql <<SQL
CREATE TABLE mnist_lines (line text);
\copy mnist_lines FROM PROGRAM 'zcat $repo/test/data/mnist_train.csv.gz | tail -n +2'
CREATE TABLE mnist_train AS
SELECT f[785]::int AS label, f[1:784]::float8[] AS pixels
FROM (SELECT string_to_array(line, ',') AS f FROM mnist_lines) s;
TRUNCATE mnist_lines;
\copy mnist_lines FROM PROGRAM 'zcat $repo/test/data/mnist_test.csv.gz | tail -n +2'
CREATE TABLE mnist_test AS
SELECT f[785]::int AS label, f[1:784]::float8[] AS pixels
FROM (SELECT string_to_array(line, ',') AS f FROM mnist_lines) s;
DROP TABLE mnist_lines;
VACUUM ANALYZE mnist_train, mnist_test;
DO \$\$
DECLARE m bpnn_model; t0 timestamptz; secs float8; acc float8;
BEGIN
	FOR run IN 1..$runs LOOP
		t0 := clock_timestamp();
		m := bpnn_train('mnist_train', 'label', hidden => '{128}', epochs => 10, batch_size => 128,
						learning_rate => 0.01, momentum => 0.9, activation => 'tanh',
						loss => 'cross_entropy', normalization => 'zscore');
		secs := extract(epoch FROM clock_timestamp() - t0);
		SELECT avg((bpnn_predict(m, pixels) = label::text)::int) INTO acc FROM mnist_test;
		INSERT INTO timings VALUES ('mnist bpnn', run, secs / 10, acc);
	END LOOP;
END
\$\$;
SQL
	"${python_env[@]}" /usr/bin/python3 test/bench/speed.py mnist "$repo/test/data" "$runs" "$torch_threads" >> "$out/python.csv"
fi

[ -f "$out/python.csv" ] && sql -c "\\copy timings FROM '$out/python.csv' CSV"
sql -A -t -F ' ' -c "SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds),
	coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY accuracy), -1) FROM timings GROUP BY what" > "$out/medians"
rss=$(cat "$out/rss_before" 2>/dev/null || echo 0)
hwm=$(cat "$out/hwm_after" 2>/dev/null || echo 0)
awk -v runs="$runs" -v rss="$rss" -v hwm="$hwm" -v threads="$torch_threads" \
	-v machine="$(bench_machine_end)" -v workers="$workers_setting" '
{ what = $1; for (i = 2; i <= NF - 2; i++) what = what " " $i; s[what] = $(NF - 1); a[what] = $NF }
function row(label, key, ratio_to) {
	if (!(key in s)) return
	acc = (a[key] >= 0) ? sprintf("%8.4f", a[key]) : "       -"
	ratio = (ratio_to != "" && (ratio_to in s)) ? sprintf("%6.2fx %s", s[key] / s[ratio_to], ratio_to) : ""
	printf "%-44s %9.3f  %s  %s\n", label, s[key], acc, ratio
}
END {
	printf "medians of %d runs; %s; PyTorch on %d thread(s), bpnn in one process (bpnn.max_parallel_workers = %s)\n\n", runs, machine, threads, workers
	printf "%-44s %9s  %8s  %s\n", "", "seconds", "accuracy", "ratio"
	row("letter: scikit-learn fit", "letter sklearn", "")
	row("letter: PyTorch training loop", "letter torch", "letter sklearn")
	row("letter: bpnn_train, research momentum", "letter bpnn momentum", "letter sklearn")
	if ("letter bpnn momentum" in s && "letter torch" in s)
		printf "%-44s %9s  %8s  %6.2fx letter torch\n", "", "", "", s["letter bpnn momentum"] / s["letter torch"]
	row("letter: bpnn_train, cross-entropy + Adam", "letter bpnn adam", "letter sklearn")
	row("200,000 x 28: bpnn_train, SQL call", "synth train", "")
	if ("synth train" in s)
		printf "%-44s %9s  %8s  %6.3fx MADlib 14.3 s (issue 5)\n", "", "", "", s["synth train"] / 14.3
	row("MNIST: PyTorch, seconds per epoch", "mnist torch", "")
	row("MNIST: bpnn_train, seconds per epoch", "mnist bpnn", "mnist torch")
	row("1,000,000 rows: count(ARRAY[28 columns])", "scan", "")
	row("1,000,000 rows: count(bpnn_predict(...))", "score", "scan")
	if (hwm > 0) {
		packed = 200000 * (28 + 1) * 4 / 1024
		printf "\ntraining backend memory (200,000 x 28): %d kB before, %d kB peak: +%d kB = %.2fx the packed float32 data (%d kB)\n",
			rss, hwm, hwm - rss, (hwm - rss) / packed, packed
	}
}' "$out/medians"
