#!/usr/bin/env bash
# Every ```sql block of README.md runs, verbatim and in order, in one psql
# session in a fresh database, from the repository root (the README's data
# step, its first block, loads test/data from there), and none gives an
# error.  So do the ```sql blocks of each docs/*.md file: each file's in a
# session of its own, in a fresh database, after the README's data step (so
# a page of docs can use the tour's tables, never another page's objects).
# A block opened with ```sql not-run is meant only to be read: it is
# counted, not run.  An error names the file and line where its statement
# ends, because the scripts psql runs keep every block line at its line
# number.  Run under pg_virtualenv (test/run-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=bpnn_readme
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1' EXIT

# extract FILE SCRIPT [BLOCKS]: writes to SCRIPT the runnable blocks' lines
# where they stand in FILE (the first BLOCKS runnable blocks only, if given),
# other lines empty; prints one line: runnable blocks, not-run blocks, and
# the problems found
extract() {
	awk -v script="$2" -v max="${3:-0}" '
		function problem(what) { problems = problems sprintf("line %d: %s; ", NR, what) }
		/^```/ {
			if (!fenced) {
				fenced = 1
				info = substr($0, 4)
				sub(/[ \t]+$/, "", info)
				if (info == "sql") { run++; runnable = (max == 0 || run <= max); last = "" }
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
			printf "%d|%d|%s\n", run + 0, skipped + 0, problems
		}' "$1"
}

# check FILE RUN SKIPPED SCRIPT...: runs the scripts in order in one psql
# session in a fresh database and reports FILE's errors, each script's
# errors named by the file whose lines it keeps (the last script is FILE's,
# the first, if there are two, README.md's data step)
check() {
	local file=$1 run=$2 skipped=$3 errors script files=()
	shift 3
	for script; do files+=(-f "$script"); done
	createdb "$db"
	psql -X -q -d "$db" "${files[@]}" > "$work/out" 2>&1 || true
	dropdb "$db"
	# psql:<script>:<line>: ERROR: ... names the line
	# (an error in a file a block includes, such as test/load_data.sql, names that file)
	errors=$(grep -E '^psql:[^:]*:[0-9]+: (ERROR|FATAL)' "$work/out" |
		sed -E -e "s|^psql:$work/data.sql:([0-9]+): |README.md line \\1 (the data step): |" \
			-e "s|^psql:$work/script.sql:([0-9]+): |$file line \\1: |" || true)
	if [ -z "$errors" ] && ! grep -q 'connection to server' "$work/out"; then
		echo "ok: $file: $run sql blocks ran without an error ($skipped marked not-run)"
	else
		echo "FAILED: $file's sql blocks: ${errors:-$(cat "$work/out")}"
	fi
}

# README.md: every block, in one session
IFS='|' read -r run skipped problems < <(extract README.md "$work/script.sql")
if [ -n "$problems" ]; then echo "FAILED: README.md: $problems"; fi
if [ "$run" -lt 1 ]; then echo "FAILED: README.md has no sql block"; exit 0; fi
check README.md "$run" "$skipped" "$work/script.sql"

# the data step alone, at its README lines, for the docs' sessions
extract README.md "$work/data.sql" 1 > /dev/null

# docs/*.md: each file's blocks after the data step, in a session of its own
quiet=()
for doc in docs/*.md; do
	IFS='|' read -r run skipped problems < <(extract "$doc" "$work/script.sql")
	if [ -n "$problems" ]; then echo "FAILED: $doc: $problems"; fi
	if [ "$run" -gt 0 ]; then
		check "$doc" "$run" "$skipped" "$work/data.sql" "$work/script.sql"
	elif [ "$skipped" -gt 0 ]; then
		echo "note: $doc: no sql block to run ($skipped marked not-run)"
	else
		quiet+=("$doc")
	fi
done
if [ ${#quiet[@]} -gt 0 ]; then
	echo "note: no sql block in ${quiet[*]}"
fi
