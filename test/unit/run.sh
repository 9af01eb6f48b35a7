#!/usr/bin/env bash
# Runs the kernel's unit tests (test_nn.c) once per build of the kernel:
#   dispatch   as the server loads it: the x86-64-v4, x86-64-v3 or baseline
#              clone of each hot loop, chosen at load time for this CPU
#   x86-64, x86-64-v3, x86-64-v4
#              one instruction set forced at compile time, each where this
#              CPU can run it (test/kernel-archs.sh)
#   sanitize   clang's build under AddressSanitizer and
#              UndefinedBehaviorSanitizer, where it was built
# then checks that every build printed the same fingerprint: the same bits of
# trained weights and class probabilities whatever the instruction set
# (bpnn_predict is IMMUTABLE: an index built on one machine is read on
# another).  Closes with "N passed, N failed".  Usage: run.sh DIR (the
# directory holding test_nn and test_nn-<arch>).
set -uo pipefail
dir=${1:-test/unit}
passed=0 failed=0
fingerprints=()

run_build() {	# name binary
	local out
	out=$("$2" 2>&1)
	sed "s/^/[$1] /" <<< "$out" | grep -v '^\[.*\] [0-9]* passed, [0-9]* failed$'
	local p f
	p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<< "$out")
	f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<< "$out")
	passed=$(( passed + ${p:-0} ))
	failed=$(( failed + ${f:-0} ))
	grep -q '^[0-9]* passed, [0-9]* failed$' <<< "$out" || { echo "FAILED: [$1] did not finish"; failed=$(( failed + 1 )); }
	fingerprints+=("$1 $(sed -n 's/^fingerprint: //p' <<< "$out")")
}

run_build dispatch "$dir/test_nn"
archs=$("$(dirname "$0")/../kernel-archs.sh")
for arch in x86-64 x86-64-v3 x86-64-v4; do
	if grep -qx "$arch" <<< "$archs"; then
		run_build "$arch" "$dir/test_nn-$arch"
	elif [ "$(uname -m)" = x86_64 ]; then
		echo "skipped: [$arch] this CPU cannot run it"
	fi
done

# AddressSanitizer and UndefinedBehaviorSanitizer (clang): make unittest
# builds it where clang is installed.  No leak check: the tests free what
# they must, not everything, and LeakSanitizer's exit drops their output
if [ -x "$dir/test_nn-sanitize" ]; then
	ASAN_OPTIONS=detect_leaks=0 run_build sanitize "$dir/test_nn-sanitize"
fi

first=${fingerprints[0]#* }
same=1
for f in "${fingerprints[@]}"; do
	[ "${f#* }" = "$first" ] && [ -n "$first" ] || same=0
done
if [ "$same" -eq 1 ]; then
	echo "ok: ${#fingerprints[@]} builds (${fingerprints[*]%% *}) trained and scored to the same bits (fingerprint $first)"
	passed=$(( passed + 1 ))
else
	echo "FAILED: the builds disagree: ${fingerprints[*]}"
	failed=$(( failed + 1 ))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
