#!/usr/bin/env bash
# Runs every test of bpnn on a fresh Debian 12 machine: installs and builds
# (test/setup.sh), runs the kernel's unit tests (gradient check included),
# then the pg_regress suites (once per instruction set the kernel is built
# for that this CPU can run) in a throwaway PostgreSQL 15 cluster on a port
# of its own, the cluster tests (TAP: each starts clusters of its own), then
# a minute of fuzzing.  Exits non-zero
# on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# warnings are errors in the tests' build
export WERROR=1
test/setup.sh

log=$(mktemp)

echo "== unit tests (the math, outside the server)"
set +e
make -s unittest | tee "$log"
unit_status=${PIPESTATUS[0]}
unit_passed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log")
unit_failed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log")

# pg_virtualenv creates a temporary cluster (-t: in a temporary directory),
# runs the command against it and removes it.  PostgreSQL refuses to run as
# root, so the cluster runs as the postgres user.
port=${BPNN_TEST_PORT:-55433}
pg_config=/usr/lib/postgresql/15/bin/pg_config
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
diffs=$(mktemp)
trap 'rm -f "$log" "$diffs"' EXIT
# the suites once per build of the kernel this CPU can run: each instruction
# set forced (an AVX-512 machine also runs the AVX2 and the baseline code),
# then as the server picks it, which the cluster tests below use too
regress_status=0
: > "$log"
for kernel in $(test/kernel-archs.sh) dispatch; do
	echo "== regression tests (pg_regress in a throwaway cluster), kernel: $kernel"
	rm -f src/nn.o src/nn_gemm.o
	arch_flag=()
	[ "$kernel" = dispatch ] || arch_flag=(KERNEL_ARCH="$kernel")
	if ! { make -s PG_CONFIG=$pg_config "${arch_flag[@]}" && $SUDO make -s install PG_CONFIG=$pg_config "${arch_flag[@]}"; }; then
		echo "test build ... FAILED (kernel: $kernel)" | tee -a "$log"
		regress_status=1
		continue
	fi
	rm -rf results regression.diffs regression.out
	pg_virtualenv -t -v 15 -o "port=$port" \
		make -s installcheck TAP_TESTS= PG_CONFIG=$pg_config 2>&1 | tee -a "$log"
	status=${PIPESTATUS[0]}
	if [ "$status" -ne 0 ]; then
		regress_status=$status
		{ echo "-- kernel: $kernel"; cat regression.diffs 2>/dev/null; } >> "$diffs"
	fi
done
set -e
regress_passed=$(grep -cE '\.\.\. ok' "$log" || true)
regress_failed=$(grep -cE '\.\.\. FAILED' "$log" || true)

echo "== cluster-level tests (TAP: test/t/*.pl, each starting clusters of its own)"
# PostgreSQL refuses to run as root, so the TAP tests run as the postgres
# user, from a copy of what they read (the repository may not be readable
# by that user); prove --verbose prints one "ok N" or "not ok N" per check
tap=$(mktemp -d)
tar -c --exclude=test/onnx/node_modules Makefile bpnn.control sql test README.md docs META.json |
	tar -x -C "$tap"
chown -R postgres "$tap"
# test/t/013_onnx.pl's runtime (300 MB, which the postgres user only reads):
# hard links where the file system allows them, else a copy
if [ -d test/onnx/node_modules ]; then
	cp -al test/onnx/node_modules "$tap/test/onnx/" 2>/dev/null ||
		cp -a test/onnx/node_modules "$tap/test/onnx/"
fi
pgxs=$(cd "$(dirname "$($pg_config --pgxs)")/../.." && pwd)
bindir=$($pg_config --bindir)
: > "$log"
set +e
su postgres -s /bin/bash -c "cd '$tap' && TESTDIR='$tap' PATH='$bindir':\$PATH \
	PG_REGRESS='$pgxs/src/test/regress/pg_regress' \
	prove -I '$pgxs/src/test/perl' -I test/perl --verbose test/t/*.pl" 2>&1 | tee -a "$log"
tap_status=${PIPESTATUS[0]}
set -e
# a check skipped for a missing dependency ("ok N # skip REASON", or a
# whole test's "skipped: REASON") is counted as neither
tap_passed=$(grep -E '^ok [0-9]+' "$log" | grep -cvE '^ok [0-9]+ # skip' || true)
tap_failed=$(grep -cE '^not ok [0-9]+' "$log" || true)
tap_skipped=$(( $(grep -cE '^ok [0-9]+ # skip' "$log" || true) + $(grep -cE '\.\. skipped: ' "$log" || true) ))
if [ "$tap_status" -ne 0 ] && [ "$tap_failed" -eq 0 ]; then
	tap_failed=1	# a script died or planned more checks than it ran
	echo "FAILED: prove exited with $tap_status"
fi
[ "$tap_status" -eq 0 ] || cat "$tap"/tmp_check/log/regress_log_* 2>/dev/null | tail -80
rm -rf "$tap"
regress_passed=$(( regress_passed + tap_passed ))
regress_failed=$(( regress_failed + tap_failed ))

# a bounded libFuzzer run of the value formats (test/fuzz: the stored
# model, the model's text form, bpnn_state), the time shared between them;
# the long run is `make fuzz FUZZ_SECONDS=3600`
fuzz_seconds=${BPNN_FUZZ_SECONDS:-60}
echo "== fuzzing the value formats (libFuzzer, $fuzz_seconds s)"
if make -s fuzz FUZZ_SECONDS="$fuzz_seconds" PG_CONFIG=$pg_config > "$log" 2>&1; then
	echo "ok: fuzzing ran $(awk '/^== fuzz_/ { t = $2; sub(/,$/, "", t) } /^stat::number_of_executed_units:/ { printf "%s%s %s", sep, t, $2; sep = ", " }' "$log") inputs in $fuzz_seconds s, no finding"
	regress_passed=$(( regress_passed + 1 ))
else
	grep -v '^#' "$log" | tail -40
	echo "FAILED: fuzzing (the input that failed is in test/fuzz/crash-*)"
	regress_failed=$(( regress_failed + 1 ))
fi
if [ "$regress_status" -ne 0 ]; then
	head -300 "$diffs"
fi
if [ "$regress_status" -ne 0 ] && [ "$regress_failed" -eq 0 ]; then
	regress_failed=1	# the run itself failed before any suite reported
fi

echo "unit: ${unit_passed:-0} passed, ${unit_failed:-1} failed; regression suites, cluster tests and fuzzing: $regress_passed passed, $regress_failed failed ($tap_skipped cluster checks or tests skipped: a dependency is missing)"
echo "$(( ${unit_passed:-0} + regress_passed )) passed, $(( ${unit_failed:-1} + regress_failed )) failed"
[ "$unit_status" -eq 0 ] && [ "$regress_status" -eq 0 ] && [ "$regress_failed" -eq 0 ]
