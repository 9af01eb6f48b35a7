#!/usr/bin/env bash
# Models survive pg_dump / pg_restore exactly (the text form round-trips):
# run inside a cluster (test/run-tests.sh runs it under pg_virtualenv).
# Prints one "ok:" or "FAILED:" line per check.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists bpnn_dump_src >/dev/null 2>&1; dropdb --if-exists bpnn_dump_dst >/dev/null 2>&1' EXIT

createdb bpnn_dump_src
createdb bpnn_dump_dst
psql -X -q -v ON_ERROR_STOP=1 -d bpnn_dump_src <<'SQL'
CREATE EXTENSION bpnn;
CREATE TABLE flowers (a float8, b float8, c float8, d float8, kind text);
\copy flowers FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE credit (seniority int, home text, "time" int, age int, marital text, records text,
                     job text, expenses int, income int, assets int, debt int, amount int,
                     price int, label text);
\copy credit FROM 'test/data/credit.csv' WITH (FORMAT csv, HEADER)
SET client_min_messages = warning;
CREATE TABLE models (name text PRIMARY KEY, model bpnn_model);
INSERT INTO models VALUES
	('iris', bpnn_train('flowers', 'kind')),
	('iris cross-entropy', bpnn_train('flowers', 'kind', loss => 'cross_entropy', optimizer => 'adam', learning_rate => 0.01)),
	('credit', bpnn_train('credit', 'label', missing => 'impute'));
SQL
pg_dump -Fc -f "$work/dump" bpnn_dump_src
pg_restore -d bpnn_dump_dst "$work/dump"

# a check passes only on equal, non-empty answers (an error answers nothing)
check() {
	if [ -n "$2" ] && [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAILED: $1 ('$2' against '$3')"; fi
}
q="SELECT string_agg(name || ':' || md5(model::text), ',' ORDER BY name) FROM models"
check "models restored from pg_dump are identical" \
	"$(psql -X -Atq -d bpnn_dump_src -c "$q")" "$(psql -X -Atq -d bpnn_dump_dst -c "$q")"
p="SELECT count(*) || ':' || md5(string_agg(bpnn_predict(model, to_jsonb(c)), ',' ORDER BY c.ctid)) FROM models, credit c WHERE name = 'credit'"
check "restored models predict the same" \
	"$(psql -X -Atq -d bpnn_dump_src -c "$p")" "$(psql -X -Atq -d bpnn_dump_dst -c "$p")"
