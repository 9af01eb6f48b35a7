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
