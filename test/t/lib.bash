# test/t/lib.bash — what the cluster tests share (sourced, not run: the
# runner runs test/t/*.sh).  Call from the repository root, in a cluster.

# a fresh database with bpnn and the iris rows as flowers(a, b, c, d, kind),
# a scratch directory in $work, both removed when the test exits
test_database() {
	db=$1
	work=$(mktemp -d)
	createdb "$db"
	trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1' EXIT
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE EXTENSION bpnn;
CREATE TABLE flowers (a float8, b float8, c float8, d float8, kind text);
\copy flowers FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER)
SQL
}

# run a statement in the background in database $1, pg_cancel_backend it
# after 1.5 s and say (ok: / FAILED:) whether it stopped within a second
cancel_within_a_second() {
	local db=$1 what=$2 client start ms
	psql -X -q -d "$db" -c "SET application_name = 'bpnn_cancel_me'" -c "$what" > "$work/out" 2>&1 &
	client=$!
	sleep 1.5
	start=$(date +%s%N)
	psql -X -Atq -d "$db" -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'bpnn_cancel_me' AND backend_type = 'client backend'" > /dev/null
	wait "$client" || true
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if grep -q "canceling statement due to user request" "$work/out" && [ "$ms" -lt 1000 ]; then
		echo "ok: pg_cancel_backend stopped '${what:7:40}...' in $ms ms"
	else
		echo "FAILED: cancel of '$what' took $ms ms: $(cat "$work/out")"
	fi
}
