#!/usr/bin/env bash
# Every ```sql block of README.md runs, verbatim and in order, in one psql
# session in a fresh database, from the repository root (the README's data
# step, its first block, loads test/data from there), and none gives an
# error.  A block opened with ```sql not-run is meant only to be read: it is
# counted, not run.  An error names the README line where its statement
# ends, because the script psql runs keeps every block line at its README
# line number.  Run under pg_virtualenv (test/run-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=bpnn_readme
work=$(mktemp -d)
createdb "$db"
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1' EXIT

# the runnable blocks' lines where they stand in README.md, other lines empty;
# then one line: runnable blocks, not-run blocks, and the problems found
awk -v script="$work/readme.sql" '
	function problem(what) { problems = problems sprintf("line %d: %s; ", NR, what) }
	/^```/ {
		if (!fenced) {
			fenced = 1
			info = substr($0, 4)
			sub(/[ \t]+$/, "", info)
			if (info == "sql") { runnable = 1; run++; last = "" }
			else if (info == "sql not-run") { runnable = 0; skipped++ }
			else if (info ~ /^sql/) { runnable = 0; problem("unknown block marker \"" info "\" (sql or sql not-run)") }
			else runnable = 0
		} else {
			if (runnable && last !~ /;[ \t]*$/ && last !~ /^\\/)
				problem("the block before this line ends inside a statement (\"" last "\")")
			fenced = 0
			runnable = 0
		}
		print "" > script
		next
	}
	{
		if (fenced && runnable) {
			print > script
			line = $0
			sub(/[ \t]*--.*$/, "", line)
			if (line ~ /[^ \t]/) last = line
		} else
			print "" > script
	}
	END {
		if (fenced) problem("a block is not closed")
		printf "%d|%d|%s\n", run, skipped, problems
	}' README.md > "$work/blocks"
IFS='|' read -r run skipped problems < "$work/blocks"
if [ -n "$problems" ]; then echo "FAILED: README.md: $problems"; fi
if [ "$run" -lt 1 ]; then echo "FAILED: README.md has no sql block"; exit 0; fi

psql -X -q -d "$db" -f "$work/readme.sql" > "$work/out" 2>&1 || true
# psql:<script>:<line>: ERROR: ... names the README line
# (an error in a file a block includes, such as test/load_data.sql, names that file)
errors=$(grep -E '^psql:[^:]*:[0-9]+: (ERROR|FATAL)' "$work/out" |
	sed -E "s|^psql:$work/readme.sql:([0-9]+): |README.md line \\1: |" || true)
if [ -z "$errors" ] && ! grep -q 'connection to server' "$work/out"; then
	echo "ok: README.md: $run sql blocks ran without an error ($skipped marked not-run)"
else
	echo "FAILED: README.md's sql blocks: ${errors:-$(cat "$work/out")}"
fi
