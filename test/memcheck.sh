#!/usr/bin/env bash
# The pg_regress suites with the server under Valgrind's memcheck: builds and
# installs bpnn into the PostgreSQL that PG_CONFIG names, starts a throwaway
# cluster under valgrind, runs `make installcheck` against it and counts the
# errors valgrind reports, those with a frame in bpnn and the rest.  Exits
# non-zero if bpnn has any error or a suite fails.  Not part of
# test/run-tests.sh: it takes about 40 minutes (see docs/testing.md).
#
#   bash test/memcheck.sh                 # the system PostgreSQL 15
#   PG_CONFIG=/path/to/pg_config BPNN_MEMCHECK_PORT=56011 bash test/memcheck.sh
#   BPNN_MEMCHECK_SUITES="data predict" bash test/memcheck.sh    # some suites
#   BPNN_MEMCHECK_SUITES="data input_limits support_functions internal_queries" ...
#       # the bpnn.memory_limit variants of evaluate, confusion and
#       # cross-validation (input_limits), crafted states, streaming's checks
#   BPNN_MEMCHECK_KEEP=1 ...              # keep the cluster's logs
#
# Debian's PostgreSQL is built without USE_VALGRIND, so valgrind cannot see
# palloc chunk boundaries inside memory-context blocks: it finds reads of
# uninitialised memory, bad system-call buffers and accesses outside
# malloc'd blocks (palloc requests above 8 kB are blocks of their own),
# not small overruns inside a context.  Those are for test/fuzz (ASan).
# test/valgrind.supp silences the false positives of PostgreSQL itself.
set -euo pipefail
# all in one block, read whole before it runs: editing the file mid-run is safe
{
cd "$(dirname "$0")/.."
repo=$(pwd)

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
port=${BPNN_MEMCHECK_PORT:-55435}
bindir=$("$PG_CONFIG" --bindir)
command -v valgrind > /dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 2; }

echo "== building and installing bpnn for $("$PG_CONFIG" --version) ($PG_CONFIG)"
make -s PG_CONFIG="$PG_CONFIG"
make -s install PG_CONFIG="$PG_CONFIG" > /dev/null

# the server runs as postgres when we are root (PostgreSQL refuses root)
as_server() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
dir=$(mktemp -d /tmp/bpnn-memcheck.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" -ne 0 ] || chown postgres "$dir"
cleanup() {
	as_server "$bindir/pg_ctl" -D "$dir/data" -m immediate stop > /dev/null 2>&1 || true
	if [ -z "${BPNN_MEMCHECK_KEEP:-}" ]; then rm -rf "$dir"; else echo "logs kept in $dir"; fi
}
trap cleanup EXIT

as_server "$bindir/initdb" -D "$dir/data" -A trust -U postgres > "$dir/initdb.log"
# JIT off: LLVM under valgrind is slow and not ours to check
cat >> "$dir/data/postgresql.conf" <<EOF
port = $port
unix_socket_directories = '$dir'
listen_addresses = ''
jit = off
log_line_prefix = '%m %p '
EOF

echo "== starting the server under valgrind (logs in $dir/valgrind)"
mkdir -p "$dir/valgrind"
[ "$(id -u)" -ne 0 ] || chown postgres "$dir/valgrind"
start=$(date +%s)
as_server valgrind --quiet --trace-children=yes --leak-check=no --track-origins=yes \
	--read-var-info=yes --num-callers=40 --fullpath-after= \
	--suppressions="$repo/test/valgrind.supp" --gen-suppressions=all \
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \
	--log-file="$dir/valgrind/%p.log" \
	"$bindir/postgres" -D "$dir/data" > "$dir/server.log" 2>&1 &
for _ in $(seq 300); do
	"$bindir/pg_isready" -q -h "$dir" -p "$port" && break
	sleep 1
done
"$bindir/pg_isready" -h "$dir" -p "$port"

echo "== the pg_regress suites"
# results go to $dir/regress; BPNN_MEMCHECK_SUITES="data predict" runs a few
suites=()
[ -z "${BPNN_MEMCHECK_SUITES:-}" ] || suites=(REGRESS="$BPNN_MEMCHECK_SUITES")
set +e
make -s installcheck PG_CONFIG="$PG_CONFIG" PGHOST="$dir" PGPORT="$port" PGUSER=postgres \
	EXTRA_REGRESS_OPTS="--outputdir=$dir/regress" "${suites[@]}" 2>&1 | tee "$dir/regress.log"
regress_status=${PIPESTATUS[0]}
set -e
if [ "$regress_status" -ne 0 ] && [ -f "$dir/regress/regression.diffs" ]; then
	head -100 "$dir/regress/regression.diffs"
	BPNN_MEMCHECK_KEEP=1
fi
as_server "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 300 stop > /dev/null
minutes=$(( ($(date +%s) - start + 30) / 60 ))

# every error is a VALGRINDERROR-BEGIN ... -END block; it is bpnn's if a
# frame is in bpnn.so or in this repository's src/
awk -v src="$repo/src/" '
	/VALGRINDERROR-BEGIN/ { inside = 1; ours = 0; block = ""; next }
	/VALGRINDERROR-END/ {
		inside = 0
		if (ours) { bpnn++; print block > "/dev/stderr" } else other++
		next
	}
	inside { block = block $0 "\n"; if (index($0, "bpnn.so") || index($0, src)) ours = 1 }
	END { printf "%d %d\n", bpnn, other }
' "$dir"/valgrind/*.log > "$dir/counts" 2> "$dir/bpnn-errors"
read -r bpnn_errors other_errors < "$dir/counts"
if [ "$bpnn_errors" -gt 0 ]; then
	echo "== valgrind errors with a frame in bpnn"
	head -200 "$dir/bpnn-errors"
	BPNN_MEMCHECK_KEEP=1
fi
if [ "$other_errors" -gt 0 ]; then
	echo "== $other_errors valgrind errors elsewhere (not bpnn's; first shown, suppressions for test/valgrind.supp included)"
	awk '/VALGRINDERROR-BEGIN/ { n++ } n == 1' "$dir"/valgrind/*.log | head -80
	BPNN_MEMCHECK_KEEP=1
fi
echo "valgrind: $bpnn_errors errors in bpnn, $other_errors elsewhere, $(ls "$dir"/valgrind | wc -l) processes, $minutes min"
[ "$regress_status" -eq 0 ] && [ "$bpnn_errors" -eq 0 ]
exit
}
