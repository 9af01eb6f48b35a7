#!/usr/bin/env bash
# The experiment of Jiang 2020, reproduced: 10-fold cross-validation on the same
# stratified folds of
#   (a) classic online backpropagation (one row at a time, no momentum, decimal scaling),
#   (b) the batch learning of Jiang 2020 (whole-set batches, momentum 0.7, decimal scaling),
#   (c) the same without normalization,
#   (d) bpnn_train's defaults,
#   (e) bpnn's modern settings (relu, softmax + cross-entropy, Adam, 64 hidden units),
#   (f) scikit-learn's MLPClassifier (the reference of test/data/README.md),
# on the UCI data sets in test/data.  Writes docs/experiment.md (mean +- std
# accuracy and seconds per fold) and docs/experiment.png.
#   bash test/bench/experiment.sh                 # all nine data sets (~20 minutes on 2 cores)
#   DATASETS="iris wine" bash test/bench/experiment.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
test/setup.sh
for pkg in python3-sklearn python3-matplotlib; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || {
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null; }
done
datasets=${DATASETS:-iris wine breast_cancer digits letter pima sonar ionosphere glass}
modern=${MODERN:-'{"activation": "relu", "loss": "cross_entropy", "optimizer": "adam", "learning_rate": 0.01, "hidden": [64]}'}
out=$(mktemp -d)
chmod 777 "$out"
trap 'rm -rf "$out"' EXIT

echo "== bpnn in a throwaway cluster: $datasets"
pg_virtualenv -t -v 15 -o "port=${BPNN_BENCH_PORT:-55436}" \
	psql -X -q -v datasets="$datasets" -v modern="$modern" \
	-v out_results="$out/results.csv" -v out_folds="$out/folds.csv" -f test/bench/experiment.sql

echo "== scikit-learn on the same folds, and the report"
/usr/bin/python3 test/bench/experiment.py "$out" "$datasets" "$modern"
