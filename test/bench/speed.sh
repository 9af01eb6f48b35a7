#!/usr/bin/env bash
# The speed benchmark of issue 5, one command, in a throwaway cluster that
# it creates and removes; every figure is a median of RUNS runs (default 3)
# measured in the same run, so ratios are side by side:
#   1. letter.csv (fold 0 of test/load_data.sql held out): bpnn_train, hidden
#      32, 200 epochs, batch 200, learning rate 0.01, momentum 0.9, z-score,
#      the momentum rule of Jiang 2020 and cross-entropy + Adam; scikit-learn's
#      MLPClassifier (fit only) and PyTorch (the training loop only, SGD
#      with momentum) with the same settings; held-out accuracy of each;
#   2. 200,000 x 28 float8 columns (a seeded rule): hidden 32, 10 epochs,
#      batch 256, tanh, learning rate 0.1, from the SQL call to the stored
#      model, training accuracy; scoring the 200,000 rows into a table; and,
#      where MADlib is installed in the PostgreSQL of PG_BINDIR, MADlib's
#      minibatch_preprocessor (buffer 256, the 0/1 label one-hot encoded as
#      classes), mlp_classification (hidden 32,
#      tanh, learning_rate_init 0.1, 10 iterations of one epoch, batch 256,
#      its default momentum 0.9 with Nesterov) and mlp_predict into a table,
#      on the same rows (a copy with an id column, which mlp_predict needs);
#   3. MNIST (test/data/mnist_*.csv.gz, 60,000 x 784 as a float8[] column):
#      hidden 128 tanh, softmax + cross-entropy, 10 epochs, batch 128,
#      learning rate 0.01, momentum 0.9, z-score: seconds per epoch (the
#      whole SQL call, scan included, over 10) and test accuracy, against
#      PyTorch with the same settings (training loop over 10);
#   4. scoring: count(bpnn_predict(m, ARRAY[28 columns])) over 1,000,000 rows
#      against count(ARRAY[28 columns]), the bare scan of the same
#      expression, no parallel workers, alternating;
#   5. the training backend's peak resident memory (VmHWM) on workload 2
#      against the packed float32 data (rows x (features + label) x 4 bytes),
#      in one process.
# bpnn_train runs once per entry of WORKERS: 0 is one process
# (bpnn.max_parallel_workers = 0), N > 0 is bpnn.parallel_training = on with
# bpnn.max_parallel_workers = N (the caller works too, so nproc - 1 workers
# use every core).  scikit-learn runs on THREADS threads, PyTorch on TORCH_THREADS.
#
#   bash test/bench/speed.sh
#   PG_BINDIR=$(dirname $PG_CONFIG) RUNS=3 bash test/bench/speed.sh   # a private PostgreSQL
#
# Settings (environment):
#   PG_BINDIR  PostgreSQL 15 binaries with bpnn installed (default: the
#              system's, /usr/lib/postgresql/15/bin, as test/setup.sh leaves
#              it; a private install: make install PG_CONFIG=.../pg_config,
#              then PG_BINDIR=$(.../pg_config --bindir)).  MADlib is used
#              if its madpack is installed beside that PostgreSQL
#              (MADLIB_PREFIX, default PG_BINDIR/../madlib: build-madlib.sh's
#              default prefix); madpack deploys it into the throwaway cluster
#   PORT       the throwaway cluster's port (default 55442)
#   RUNS       runs per figure (default 3)
#   SKIP       space-separated parts to leave out: letter synth madlib mnist score
#   WORKERS    bpnn's worker counts (default "0 N", N = nproc - 1; "0" alone
#              where nproc is 1)
#   THREADS    scikit-learn's (OpenBLAS) threads (default nproc: all cores)
#   TORCH_THREADS  PyTorch's threads, intra-op and OpenBLAS (default 1: on
#              letter's small layers two OpenMP threads took 755 s on the
#              2-core machine under a load average of 10 to 12, one thread
#              19 s under a load of 3 to 5; set it to nproc on a quiet
#              machine to give MNIST every core)
#
# Python: /usr/bin/python3 with Debian's python3-numpy, python3-sklearn,
# python3-torch and libopenblas0-pthread, installed here if missing: Debian
# links numpy and torch to libblas.so.3, which its alternatives point at
# OpenBLAS once that is installed (the reference BLAS otherwise: about 2x
# slower for scikit-learn on letter).  The report names the BLAS library,
# its kernel and threads that numpy and torch really loaded (threadpoolctl,
# /proc/self/maps).  OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for the
# Python processes so that OpenBLAS picks its kernel for this CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
port=${PORT:-55442}
runs=${RUNS:-3}
skip=" ${SKIP:-} "
ncores=$(nproc)
workers_list=${WORKERS:-$( [ "$ncores" -gt 1 ] && echo "0 $((ncores - 1))" || echo 0)}
threads=${THREADS:-$ncores}
torch_threads=${TORCH_THREADS:-1}
madlib_prefix=${MADLIB_PREFIX:-$bindir/../madlib}
wants() { [[ "$skip" != *" $1 "* ]]; }

# the default: build and install into the system PostgreSQL 15, as the tests do
[ -n "${PG_BINDIR:-}" ] || test/setup.sh

source test/bench/lib.bash
bench_machine

for pkg in python3-numpy python3-sklearn python3-torch libopenblas0-pthread; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $pkg"
done
if [ -n "${missing:-}" ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
python_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads"
	OMP_NUM_THREADS="$torch_threads")
"${python_env[@]}" /usr/bin/python3 test/bench/speed.py blas - 0 "$threads" "$torch_threads"

bench_cluster_start "$bindir" "$port" -c shared_buffers=1GB -c max_parallel_workers_per_gather=0 \
	-c bpnn.max_parallel_workers=0
out=$bench_out
sql -c "CREATE EXTENSION bpnn" -c "CREATE TABLE timings (what text, run int, seconds float8, accuracy float8)"
# set_workers(w): bpnn_train in one process (0) or with w planned parallel workers
sql <<'SQL'
CREATE FUNCTION set_workers(w int) RETURNS void LANGUAGE sql AS $$
	SELECT set_config('bpnn.max_parallel_workers', w::text, false),
		   set_config('bpnn.parallel_training', CASE WHEN w > 0 THEN 'on' ELSE 'off' END, false) $$;
SQL

cols=$(seq -s, -f 'c%g' 1 28)
letter_features="x_box, y_box, width, high, onpix, x_bar, y_bar, x2bar, y2bar, xybar, x2ybr, xy2br, x_ege, xegvy, y_ege, yegvx"
workers_array="{$(echo $workers_list | tr ' ' ,)}"

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
DECLARE m bpnn_model; t0 timestamptz; secs float8; acc float8; v text; w int;
BEGIN
	FOREACH v IN ARRAY ARRAY['momentum', 'adam'] LOOP
		FOREACH w IN ARRAY '$workers_array'::int[] LOOP
			PERFORM set_workers(w);
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
				INSERT INTO timings VALUES ('letter bpnn ' || v || ' w' || w, run, secs, acc);
			END LOOP;
		END LOOP;
	END LOOP;
	PERFORM set_workers(0);
END
\$\$;
SQL
	"${python_env[@]}" /usr/bin/python3 test/bench/speed.py letter "$out" "$runs" "$threads" "$torch_threads" >> "$out/python.csv"
fi

# --- 2. and 5. the 200,000 x 28 workload, and memory ---------------------------
coldefs=$(seq 1 28 | sed 's/.*/sin(g * 0.37 + & * 1.3) + ((g::bigint * 7919 + & * 104729) % 1000) \/ 1000.0 AS c&/' | paste -sd,)
synth_args="hidden => '{32}', epochs => 10, batch_size => 256, activation => 'tanh', learning_rate => 0.1"
if wants synth || wants score; then
	sql <<SQL
CREATE TABLE synth AS
SELECT $coldefs, (g % 2 = 0 AND sin(g * 0.37) > 0 OR g % 7 = 0)::int AS label
FROM generate_series(1, 1000000) g;
CREATE TABLE synth200k AS SELECT * FROM synth LIMIT 200000;
VACUUM ANALYZE synth, synth200k;
SQL
	# memory: a fresh backend, its resident size before and its peak after one
	# training in one process; it reads the table first, so that the shared
	# buffers holding it are part of both figures and the difference is the
	# backend's own memory
	sql -A -t > /dev/null <<SQL
SELECT count(ARRAY[$cols]) FROM synth200k;
SELECT pg_backend_pid() AS pid \gset
\setenv BACKEND :pid
\! grep VmRSS /proc/\$BACKEND/status | awk '{print \$2}' > $out/rss_before
CREATE TABLE models AS SELECT bpnn_train('synth200k', 'label', $synth_args) AS model;
\! grep VmHWM /proc/\$BACKEND/status | awk '{print \$2}' > $out/hwm_after
SQL
fi
if wants synth; then
	# the same 200,000 rows with the id column that mlp_predict needs; both
	# score into a table from it
	sql <<SQL
CREATE TABLE synth200k_id AS SELECT row_number() OVER () AS id, * FROM synth200k;
VACUUM ANALYZE synth200k_id;
DO \$\$
DECLARE t0 timestamptz; m bpnn_model; w int; acc float8;
BEGIN
	FOREACH w IN ARRAY '$workers_array'::int[] LOOP
		PERFORM set_workers(w);
		FOR r IN 1..$runs LOOP
			t0 := clock_timestamp();
			m := bpnn_train('synth200k', 'label', $synth_args);
			INSERT INTO timings VALUES ('synth train w' || w, r, extract(epoch FROM clock_timestamp() - t0),
										(bpnn_info(m)->'training'->>'train_accuracy')::float8);
		END LOOP;
	END LOOP;
	PERFORM set_workers(0);
	SET LOCAL client_min_messages = warning;
	FOR r IN 1..$runs LOOP
		DROP TABLE IF EXISTS bpnn_pred;
		t0 := clock_timestamp();
		CREATE TABLE bpnn_pred AS
		SELECT id, bpnn_predict((SELECT model FROM models), ARRAY[$cols]) AS estimated_label FROM synth200k_id;
		SELECT avg((p.estimated_label = s.label::text)::int) INTO acc FROM bpnn_pred p JOIN synth200k_id s USING (id);
		INSERT INTO timings VALUES ('synth predict bpnn', r, extract(epoch FROM clock_timestamp() - t0), acc);
	END LOOP;
END
\$\$;
SQL
	madpack=$(ls "$madlib_prefix"/Versions/*/madpack/madpack.py 2>/dev/null | tail -1 || true)
	if ! wants madlib; then
		echo "200,000 x 28: MADlib skipped (SKIP)" > "$out/madlib_note"
	elif [ -z "$madpack" ]; then
		echo "200,000 x 28: MADlib skipped (no madpack under $madlib_prefix: not installed in this PostgreSQL)" > "$out/madlib_note"
	elif ! as_pg env PGHOST="$out" PATH="$bindir:$PATH" /usr/bin/python3 "$madpack" -s madlib \
		-p postgres -c "postgres@:$port/postgres" install > "$out/madpack.log" 2>&1; then
		echo "200,000 x 28: MADlib skipped (madpack install failed: $(grep -m1 ERROR "$out/madpack.log"))" > "$out/madlib_note"
	else
		echo "MADlib $(sql -A -t -c 'SELECT madlib.version()' | grep -o 'version: [^,]*' | head -1 | cut -d' ' -f2), deployed by madpack from $(cd "$madlib_prefix" && pwd)" > "$out/madlib_note"
		sql > /dev/null <<SQL
DO \$\$
DECLARE t0 timestamptz; t1 timestamptz; acc float8;
BEGIN
	SET LOCAL client_min_messages = warning;
	FOR r IN 1..$runs LOOP
		DROP TABLE IF EXISTS synth_packed, synth_packed_summary, synth_packed_standardization,
			mlp_model, mlp_model_summary, mlp_model_standardization, mlp_pred;
		t0 := clock_timestamp();
		PERFORM madlib.minibatch_preprocessor('synth200k_id', 'synth_packed', 'label',
			'ARRAY[$cols]', NULL, 256, true);
		t1 := clock_timestamp();
		INSERT INTO timings VALUES ('synth madlib preprocess', r, extract(epoch FROM t1 - t0));
		PERFORM madlib.mlp_classification('synth_packed', 'mlp_model', 'independent_varname',
			'dependent_varname', ARRAY[32],
			'learning_rate_init=0.1, n_iterations=10, n_epochs=1, batch_size=256, n_tries=1, tolerance=0',
			'tanh', NULL, false, false);
		t0 := clock_timestamp();
		INSERT INTO timings VALUES ('synth madlib train', r, extract(epoch FROM t0 - t1));
		PERFORM madlib.mlp_predict('mlp_model', 'synth200k_id', 'id', 'mlp_pred', 'response');
		t1 := clock_timestamp();
		SELECT avg((p.estimated_label::text = s.label::text)::int) INTO acc FROM mlp_pred p JOIN synth200k_id s USING (id);
		INSERT INTO timings VALUES ('synth madlib predict', r, extract(epoch FROM t1 - t0), acc);
		UPDATE timings SET accuracy = acc WHERE what = 'synth madlib train' AND run = r;
	END LOOP;
END
\$\$;
SQL
	fi
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
DECLARE m bpnn_model; t0 timestamptz; secs float8; acc float8; w int;
BEGIN
	FOREACH w IN ARRAY '$workers_array'::int[] LOOP
		PERFORM set_workers(w);
		FOR run IN 1..$runs LOOP
			t0 := clock_timestamp();
			m := bpnn_train('mnist_train', 'label', hidden => '{128}', epochs => 10, batch_size => 128,
							learning_rate => 0.01, momentum => 0.9, activation => 'tanh',
							loss => 'cross_entropy', normalization => 'zscore');
			secs := extract(epoch FROM clock_timestamp() - t0);
			SELECT avg((bpnn_predict(m, pixels) = label::text)::int) INTO acc FROM mnist_test;
			INSERT INTO timings VALUES ('mnist bpnn w' || w, run, secs / 10, acc);
		END LOOP;
	END LOOP;
	PERFORM set_workers(0);
END
\$\$;
SQL
	"${python_env[@]}" /usr/bin/python3 test/bench/speed.py mnist "$repo/test/data" "$runs" "$threads" "$torch_threads" >> "$out/python.csv"
fi

[ -f "$out/python.csv" ] && sql -c "\\copy timings FROM '$out/python.csv' CSV"
sql -A -t -F ' ' -c "SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds),
	coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY accuracy), -1) FROM timings GROUP BY what" > "$out/medians"
rss=$(cat "$out/rss_before" 2>/dev/null || echo 0)
hwm=$(cat "$out/hwm_after" 2>/dev/null || echo 0)
madlib_note=$(cat "$out/madlib_note" 2>/dev/null || true)
awk -v runs="$runs" -v rss="$rss" -v hwm="$hwm" -v threads="$threads" -v tthreads="$torch_threads" \
	-v workers="$workers_list" \
	-v machine="$(bench_machine_end)" -v madlib_note="$madlib_note" '
{ what = $1; for (i = 2; i <= NF - 2; i++) what = what " " $i; s[what] = $(NF - 1); a[what] = $NF }
function row(label, key, ratio_to, ratio_label) {
	if (!(key in s)) return
	acc = (a[key] >= 0) ? sprintf("%8.4f", a[key]) : "       -"
	ratio = (ratio_to != "" && (ratio_to in s)) ? sprintf("%7.3fx %s", s[key] / s[ratio_to], ratio_label) : ""
	printf "%-56s %9.3f  %s  %s\n", label, s[key], acc, ratio
}
# more(key, to, label): one more ratio under the row of key
function more(key, to, label) {
	if ((key in s) && (to in s))
		printf "%-56s %9s  %8s  %7.3fx %s\n", "", "", "", s[key] / s[to], label
}
function wname(w) { return w == 0 ? "one process" : w " worker" (w > 1 ? "s" : "") }
END {
	nw = split(workers, ws, " ")
	printf "medians of %d runs; %s\n", runs, machine
	printf "scikit-learn on %d thread(s), PyTorch on %d; bpnn_train with the worker counts shown (bpnn.parallel_training = on where > 0); scoring in one process\n\n", threads, tthreads
	printf "%-56s %9s  %8s  %s\n", "", "seconds", "accuracy", "ratio"
	row("letter: scikit-learn fit", "letter sklearn", "")
	row("letter: PyTorch training loop", "letter torch", "letter sklearn", "scikit-learn")
	for (v = 1; v <= 2; v++) {
		opt = v == 1 ? "momentum" : "adam"
		for (i = 1; i <= nw; i++) {
			k = "letter bpnn " opt " w" ws[i]
			row("letter: bpnn_train, " (v == 1 ? "research momentum" : "cross-entropy + Adam") ", " wname(ws[i]),
				k, "letter sklearn", "scikit-learn")
			more(k, "letter torch", "PyTorch")
		}
	}
	row("200,000 x 28: MADlib minibatch_preprocessor", "synth madlib preprocess", "")
	row("200,000 x 28: MADlib mlp_classification (train acc.)", "synth madlib train", "")
	for (i = 1; i <= nw; i++) {
		k = "synth train w" ws[i]
		row("200,000 x 28: bpnn_train, " wname(ws[i]) " (train acc.)", k, "synth madlib train", "MADlib mlp_classification")
		if (("synth madlib train" in s) && ("synth madlib preprocess" in s))
			printf "%-56s %9s  %8s  %7.3fx MADlib preprocessing + training\n", "", "", "",
				s[k] / (s["synth madlib train"] + s["synth madlib preprocess"])
	}
	row("200,000 x 28: MADlib mlp_predict into a table", "synth madlib predict", "")
	row("200,000 x 28: bpnn_predict into a table", "synth predict bpnn", "synth madlib predict", "MADlib mlp_predict")
	if (madlib_note != "") printf "%s\n", madlib_note
	row("MNIST: PyTorch, seconds per epoch", "mnist torch", "")
	for (i = 1; i <= nw; i++)
		row("MNIST: bpnn_train, seconds per epoch, " wname(ws[i]), "mnist bpnn w" ws[i], "mnist torch", "PyTorch")
	row("1,000,000 rows: count(ARRAY[28 columns])", "scan", "")
	row("1,000,000 rows: count(bpnn_predict(...))", "score", "scan", "the scan")
	if (hwm > 0) {
		packed = 200000 * (28 + 1) * 4 / 1024
		printf "\ntraining backend memory (200,000 x 28, one process): %d kB before, %d kB peak: +%d kB = %.2fx the packed float32 data (%d kB)\n",
			rss, hwm, hwm - rss, (hwm - rss) / packed, packed
	}
}' "$out/medians"
