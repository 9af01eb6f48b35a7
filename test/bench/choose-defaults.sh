#!/bin/bash
#
# choose-defaults.sh — rerun the confirmation table of
# test/bench/defaults-results.md: stratified 10-fold cross-validation
# (test/bench/cv.c) of the recommended bpnn_train defaults, the runner-up
# configurations, the configuration of Jiang 2020 and classic online
# backpropagation, on the nine real data sets of test/data.
#
#   test/bench/choose-defaults.sh            # from the repo root (or anywhere)
#   JOBS=1 test/bench/choose-defaults.sh     # one process at a time (cleaner times)
#
# Needs gcc.  About 9 minutes on 2 cores (JOBS=2, the default; measured 8m34s).
# Prints one line per (configuration, data set); the "train" figure is the
# sum of the training seconds of all folds (divide by the folds for one fit).
# The configuration of Jiang 2020 with 2000 epochs is run on letter with 3 folds
# only (10 folds would take ~20 CPU minutes on its own).
#
set -euo pipefail

cd "$(dirname "$0")/../.."
JOBS=${JOBS:-2}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpnn-defaults.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

gcc -O2 -march=x86-64 -o "$tmp/cv" test/bench/cv.c test/bench/csv.c \
	src/nn_fit.c src/nn.c src/nn_gemm.c src/nn_normalize.c -lm

# pinned so a later change of cv's own defaults does not change the table
common="act=bipolar_sigmoid range=0.1 loss=squared_error optimizer=momentum decay=0"

# label | cv settings | folds used for letter
configs=(
	"A recommended|hidden=64 epochs=200 lr=0.2 momentum=0.7 batch=32 norm=zscore|10"
	"B small-net|hidden=32 epochs=200 lr=0.1 momentum=0.7 batch=16 norm=zscore|10"
	"C fast|hidden=64 epochs=100 lr=0.5 momentum=0.7 batch=64 norm=zscore|10"
	"R research|hidden=32 epochs=200 lr=0.1 momentum=0.7 batch=0 norm=decimal|10"
	"R2 research-2000ep|hidden=32 epochs=2000 lr=0.1 momentum=0.7 batch=0 norm=decimal|3"
	"O online|hidden=32 epochs=200 lr=0.1 momentum=0 batch=1 norm=decimal|10"
)
# DATASETS="iris wine" limits the run (a quick check of the script)
read -r -a datasets <<< "${DATASETS:-iris wine breast_cancer digits pima sonar ionosphere glass letter}"

# one job per (configuration, data set); letter jobs first so the long
# ones do not end up alone at the tail
: > "$tmp/jobs"
for pass in letter small; do
	c=0
	for cfg in "${configs[@]}"; do
		IFS='|' read -r label args letter_folds <<< "$cfg"
		d=0
		for ds in "${datasets[@]}"; do
			if [ "$pass" = letter ] && [ "$ds" = letter ]; then
				printf '%02d.%02d\t%s\t%s\t%s\t%s\n' $c $d "$label" "$ds" "$letter_folds" "$args $common" >> "$tmp/jobs"
			elif [ "$pass" = small ] && [ "$ds" != letter ]; then
				printf '%02d.%02d\t%s\t%s\t%s\t%s\n' $c $d "$label" "$ds" 10 "$args $common" >> "$tmp/jobs"
			fi
			d=$((d + 1))
		done
		c=$((c + 1))
	done
done

echo "bpnn defaults: $(wc -l < "$tmp/jobs") cross-validations, $JOBS at a time ($(date -u '+%Y-%m-%d %H:%M UTC'))" >&2

export TMPD="$tmp"
# shellcheck disable=SC2016
tr '\n' '\0' < "$tmp/jobs" | xargs -0 -P "$JOBS" -I{} bash -c '
	IFS=$'"'"'\t'"'"' read -r key label ds folds args <<< "$1"
	# shellcheck disable=SC2086
	line=$("$TMPD/cv" "test/data/$ds.csv" $args folds="$folds" seed=1)
	printf "%-20s folds=%-2s %s\n" "[$label]" "$folds" "$line" > "$TMPD/out.$key"
	echo "  done: [$label] $ds" >&2
' _ {}

prev=
for f in "$tmp"/out.*; do
	c=${f##*/out.}
	c=${c%%.*}
	[ "$c" != "$prev" ] && echo
	prev=$c
	cat "$f"
done
