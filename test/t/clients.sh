#!/usr/bin/env bash
# bpnn through the drivers reporting tools and ETL jobs use (issue 13):
# Debian's python3-psycopg2, pgjdbc (libpostgresql-jdbc-java, compiled and
# run with default-jdk-headless) and psqlODBC (odbc-postgresql, unixodbc,
# driven by python3-pyodbc), all installed by test/setup.sh.  In a fresh
# database with the README's data step (test/load_data.sql) and a model
# (iris_model), it runs the snippets of docs/clients.md
# as written (only the connection parameters replaced), then each driver's
# checks in test/clients/: training, scoring with untyped and string
# parameters, a model out and back in as text, bytea, jsonb and COPY, and
# the ODBC catalog with the settings that page gives.  Run inside a cluster (the
# libpq environment names it; test/run-tests.sh uses pg_virtualenv).
# Prints one ok:/FAILED: line per check, or one skipped: line per driver
# that is not installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=bpnn_clients
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1' EXIT

createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" > /dev/null <<'SQL'
CREATE EXTENSION bpnn;
\i test/load_data.sql
SET client_min_messages = warning;
CREATE TABLE iris_model AS SELECT bpnn_train('iris', 'label') AS model;
SQL
expected=$(psql -X -Atq -d "$db" -c "SELECT bpnn_predict(model, ARRAY[5.1, 3.5, 1.4, 0.2]::float8[]) FROM iris_model")

# where the drivers connect: TCP (pgjdbc has no Unix sockets), the libpq
# environment's port, user and password
host=${PGHOST:-localhost}
[[ "$host" == /* ]] && host=localhost
port=${PGPORT:-5432}
user=${PGUSER:-$(id -un)}
password=${PGPASSWORD:-}

# the docs/clients.md block after the marker line "<!-- test/t/clients.sh: $1 -->"
readme_snippet() {
	awk -v m="<!-- test/t/clients.sh: $1 -->" '
		$0 == m { found = 1; next }
		found && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }' docs/clients.md
}

# runs a docs/clients.md snippet ($2: a command reading the program from $work) and
# checks that it printed the expected class (first line of its output)
readme_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1) && [ "$(head -1 <<< "$out")" = "$expected" ]; then
		echo "ok: docs/clients.md's $name snippet runs and predicts $expected"
	else
		echo "FAILED: docs/clients.md's $name snippet: $out"
	fi
}

python=/usr/bin/python3

# psycopg2
if "$python" -c 'import psycopg2' 2> /dev/null; then
	readme_snippet psycopg2 > "$work/readme_psycopg2.py"
	PGDATABASE=$db readme_check psycopg2 "$python" "$work/readme_psycopg2.py"
	PGDATABASE=$db "$python" test/clients/psycopg2_client.py || echo "FAILED: test/clients/psycopg2_client.py stopped with an error"
else
	echo "skipped: psycopg2 checks: $python cannot import psycopg2 (Debian: python3-psycopg2)"
fi

# pgjdbc
jar=/usr/share/java/postgresql.jar
if command -v javac > /dev/null && [ -r "$jar" ]; then
	url="jdbc:postgresql://$host:$port/$db"
	{
		echo 'import java.sql.*;'
		echo 'public class ReadmeJdbc { public static void main(String[] args) throws SQLException {'
		readme_snippet jdbc | sed -e "s|jdbc:postgresql://localhost:5432/postgres|$url|" \
			-e "s|\"postgres\", \"secret\"|\"$user\", \"$password\"|"
		echo '} }'
	} > "$work/ReadmeJdbc.java"
	if javac -cp "$jar" -d "$work" "$work/ReadmeJdbc.java" test/clients/JdbcClient.java 2> "$work/javac.log"; then
		readme_check jdbc java -cp "$work:$jar" ReadmeJdbc
		java -cp "$work:$jar" JdbcClient "$url" "$user" "$password" || echo "FAILED: JdbcClient stopped with an error"
	else
		echo "FAILED: pgjdbc checks do not compile: $(cat "$work/javac.log")"
	fi
else
	echo "skipped: pgjdbc checks: javac or $jar is missing (Debian: default-jdk-headless, libpostgresql-jdbc-java)"
fi

# psqlODBC
if "$python" -c 'import pyodbc' 2> /dev/null && odbcinst -q -d -n "PostgreSQL Unicode" > /dev/null 2>&1; then
	readme_snippet odbc | sed -e "s|SERVER=localhost;PORT=5432;DATABASE=postgres;|SERVER=$host;PORT=$port;DATABASE=$db;|" \
		-e "s|UID=postgres;PWD=secret;|UID=$user;PWD=$password;|" > "$work/readme_odbc.py"
	readme_check ODBC "$python" "$work/readme_odbc.py"
	# the page's settings, from the snippet itself
	settings=$(readme_snippet odbc | grep -o 'UnknownsAsLongVarchar=[^"]*')
	"$python" test/clients/odbc_client.py \
		"DRIVER={PostgreSQL Unicode};SERVER=$host;PORT=$port;DATABASE=$db;UID=$user;PWD=$password;" "$settings" ||
		echo "FAILED: test/clients/odbc_client.py stopped with an error"
else
	echo "skipped: psqlODBC checks: pyodbc or the \"PostgreSQL Unicode\" driver is missing (Debian: python3-pyodbc, odbc-postgresql, unixodbc)"
fi
