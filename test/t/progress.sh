#!/usr/bin/env bash
# bpnn_progress() from another session: a training's row appears, its epoch
# advances while it runs (in memory on one core and on several, streaming,
# cross-validation serial and parallel, bpnn_fit), a role that may not see the trainer's queries sees no
# row, and the row is gone when the training is cancelled or its backend
# terminated.  Run under pg_virtualenv (test/run-tests.sh).  Nothing here
# depends on speed: every wait polls, for up to 20 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/t/lib.bash
test_database bpnn_progress
# 105,000 rows x (4 float4 + a class id): over a 1 MB bpnn.memory_limit
psql -X -q -d bpnn_progress -c "CREATE TABLE many_flowers AS SELECT f.* FROM flowers f, generate_series(1, 700)"
watcher=bpnn_progress_watcher_$$
trap 'rm -rf "$work"; dropdb --if-exists bpnn_progress >/dev/null 2>&1; psql -X -q -d postgres -c "DROP ROLE IF EXISTS $watcher" >/dev/null 2>&1' EXIT
psql -X -q -d bpnn_progress -c "CREATE ROLE $watcher LOGIN"

# the training's row, as "phase|epoch|..." (empty when there is none)
row_of() {
	psql -X -Atq -d bpnn_progress ${2:+-U "$2"} -c "
		SELECT concat_ws('|', p.command, coalesce(p.source::text, '-'), p.phase, coalesce(p.fold, 0),
		                 coalesce(p.folds, 0), p.epoch, p.epochs, p.loss IS NOT NULL AND p.loss >= 0,
		                 p.rows, p.rows_per_second > 0, p.elapsed > '0', p.time_left IS NOT NULL,
		                 coalesce(p.leader_pid, 0) = 0, p.datname)
		FROM bpnn_progress() p JOIN pg_stat_activity a USING (pid)
		WHERE a.application_name = 'bpnn_progress_$1' AND a.backend_type = 'client backend'"
}
# the field $2 (1-based) of a row
field() { echo "$1" | cut -d'|' -f"$2"; }
# wait until the training's row has reached epoch 1 (or 20 s passed)
first_epochs() {
	local row=
	for i in $(seq 200); do
		row=$(row_of "$1")
		[ -n "$row" ] && [ "$(field "$row" 6)" -ge 1 ] && break
		sleep 0.1
	done
	echo "$row"
}
# start statement $2 in the background as application $1
start() {
	psql -X -q -d bpnn_progress -c "SET application_name = 'bpnn_progress_$1'" -c "$2" > "$work/$1.out" 2>&1 &
}
# stop it (cancel or terminate), then the row must be gone
stop() {
	local how=$1 app=$2 gone=no
	psql -X -Atq -d bpnn_progress -c "SELECT pg_${how}_backend(pid) FROM pg_stat_activity WHERE application_name = 'bpnn_progress_$app' AND backend_type = 'client backend'" > /dev/null
	for i in $(seq 200); do
		if [ -z "$(row_of "$app")" ]; then gone=yes; break; fi
		sleep 0.1
	done
	wait || true
	if [ $gone = yes ]; then echo "ok: $app: the row is gone after pg_${how}_backend"; else echo "FAILED: $app: a row is left after pg_${how}_backend: $(row_of "$app")"; fi
}
# the row must match the pattern $3 and its epoch must advance
check() {
	local app=$1 what=$2 pattern=$3 first second
	first=$(first_epochs "$app")
	if [[ "$first" =~ $pattern ]]; then
		echo "ok: $what: $first"
	else
		echo "FAILED: $what: the row is '$first', expected $pattern; the client said: $(cat "$work/$app.out")"
		return
	fi
	for i in $(seq 200); do
		second=$(row_of "$app")
		[ -n "$second" ] && [ "$(field "$second" 6)" -gt "$(field "$first" 6)" ] && break
		sleep 0.1
	done
	if [ -n "$second" ] && [ "$(field "$second" 6)" -gt "$(field "$first" 6)" ]; then
		echo "ok: $what: the epoch advanced from $(field "$first" 6) to $(field "$second" 6) in a later look"
	else
		echo "FAILED: $what: the epoch did not advance from $(field "$first" 6): '$second'"
	fi
}

start train "SELECT bpnn_train('flowers', 'kind', epochs => 1000000)"
check train "bpnn_train in memory" '^bpnn_train\|flowers\|training\|0\|0\|[0-9]+\|1000000\|t\|150\|t\|t\|t\|t\|bpnn_progress$'
# a role that is no member of the trainer's sees nothing, as pg_stat_activity hides the query
seen=$(psql -X -Atq -d bpnn_progress -U "$watcher" -c "SELECT count(*) FROM bpnn_progress()")
if [ "$seen" = 0 ]; then echo "ok: a role outside the trainer's sees no row"; else echo "FAILED: a role outside the trainer's sees $seen rows"; fi
psql -X -q -d bpnn_progress -c "GRANT pg_read_all_stats TO $watcher"
row=$(row_of train "$watcher")
if [ -n "$row" ]; then echo "ok: a member of pg_read_all_stats sees the row"; else echo "FAILED: a member of pg_read_all_stats sees no row"; fi
psql -X -q -d bpnn_progress -c "REVOKE pg_read_all_stats FROM $watcher"
stop cancel train

# on several cores (bpnn.parallel_training): the leader reports the averaged epochs
start parallel "SET bpnn.parallel_training = on; SET bpnn.max_parallel_workers = 2; SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000)"
check parallel "bpnn_train on several cores" '^bpnn_train\|many_flowers\|training\|0\|0\|[0-9]+\|1000000\|t\|105000\|t\|t\|t\|t\|'
stop cancel parallel

start stream "SET bpnn.memory_limit = '1MB'; SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000)"
check stream "bpnn_train streaming" '^bpnn_train\|many_flowers\|streaming\|0\|0\|[0-9]+\|1000000\|t\|105000\|t\|t\|t\|t\|'
stop terminate stream
if grep -q "terminating connection due to administrator command" "$work/stream.out"; then
	echo "ok: the terminated training's client was told so"
else
	echo "FAILED: the terminated training's client said: $(cat "$work/stream.out")"
fi

start cv "SET bpnn.max_parallel_workers = 0; SELECT count(*) FROM bpnn_cross_validate('flowers', 'kind', epochs => 1000000)"
check cv "bpnn_cross_validate, serial" '^bpnn_cross_validate\|flowers\|training\|1\|10\|[0-9]+\|1000000\|t\|135\|t\|t\|t\|t\|'
stop cancel cv

# a parallel cross-validation: the leader and each worker show their own fold
start pcv "SET bpnn.max_parallel_workers = 2; SET max_parallel_workers = 8; SET max_parallel_maintenance_workers = 2; SELECT count(*) FROM bpnn_cross_validate('flowers', 'kind', epochs => 1000000)"
first_epochs pcv > /dev/null
rows=""
for i in $(seq 200); do
	rows=$(psql -X -Atq -d bpnn_progress -c "
		SELECT count(*) FILTER (WHERE p.leader_pid IS NULL) || '|' || count(*) FILTER (WHERE p.leader_pid = a.pid)
		       || '|' || count(DISTINCT p.fold)
		FROM pg_stat_activity a JOIN bpnn_progress() p ON p.pid = a.pid OR p.leader_pid = a.pid
		WHERE a.application_name = 'bpnn_progress_pcv' AND a.backend_type = 'client backend'")
	[ "$rows" = "1|2|3" ] && break
	sleep 0.1
done
if [ "$rows" = "1|2|3" ]; then
	echo "ok: a parallel cross-validation shows its leader and its 2 workers, each on its own fold"
else
	echo "FAILED: a parallel cross-validation shows leader|workers|folds $rows, expected 1|2|3"
fi
stop cancel pcv
left=$(psql -X -Atq -d bpnn_progress -c "SELECT count(*) FROM bpnn_progress() WHERE leader_pid IS NOT NULL")
if [ "$left" = 0 ]; then echo "ok: no worker's row is left"; else echo "FAILED: $left workers' rows are left"; fi

start fit "SELECT bpnn_fit(ARRAY[a, b, c, d], kind, '{\"epochs\": 1000000}') FROM flowers"
check fit "bpnn_fit" '^bpnn_fit\|-\|training\|0\|0\|[0-9]+\|1000000\|t\|150\|t\|t\|t\|t\|'
stop cancel fit
