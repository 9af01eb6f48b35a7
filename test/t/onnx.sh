#!/usr/bin/env bash
# bpnn_onnx's files in runtimes independent of bpnn (issue 15): in a fresh
# database it trains models on real data (iris with each hidden activation,
# squared error and cross-entropy; wine, two hidden layers; concrete, a
# regressor of one output and one of two; credit's numeric columns with
# missing values imputed), exports each with bpnn_onnx, checks each file
# with Debian's python3-onnx (onnx.checker, full check: test/onnx/check.py)
# and runs every row of its table through onnxruntime-node 1.30 (CPU),
# comparing with bpnn_predict_proba and bpnn_predict, or
# bpnn_predict_values, within a bound derived from the arithmetic
# (test/onnx/parity.js says how).  Both runtimes are installed by
# test/setup.sh (npm install --ignore-scripts in test/onnx).  Run inside a
# cluster (the libpq environment names it; test/run-tests.sh uses
# pg_virtualenv).  Prints one ok:/FAILED: line per check, or skipped: for
# a runtime that is not installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=bpnn_onnx
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1; dropdb --if-exists "${db}_latin1" >/dev/null 2>&1' EXIT

createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" > /dev/null <<'SQL'
CREATE EXTENSION bpnn;
\i test/fixtures/iris.sql
\i test/fixtures/wine.sql
\i test/fixtures/concrete.sql
\i test/fixtures/credit.sql
SET client_min_messages = warning;
CREATE TABLE concrete_two AS
SELECT cement, water, age, superplasticizer, ARRAY[compressive_strength, fine_aggregate] AS y FROM concrete;
-- name, model, the table its rows come from and the label column
CREATE TABLE onnx_models (name text, model bpnn_model, source text, label text);
INSERT INTO onnx_models VALUES
 ('iris_bipolar_sigmoid', bpnn_train('iris', 'label', epochs => 100), 'iris', 'label'),
 ('iris_tanh', bpnn_train('iris', 'label', epochs => 100, activation => 'tanh', hidden => '{16, 8}'), 'iris', 'label'),
 ('iris_sigmoid', bpnn_train('iris', 'label', epochs => 100, activation => 'sigmoid'), 'iris', 'label'),
 ('iris_relu', bpnn_train('iris', 'label', epochs => 100, activation => 'relu'), 'iris', 'label'),
 ('iris_softmax', bpnn_train('iris', 'label', epochs => 100, loss => 'cross_entropy'), 'iris', 'label'),
 ('iris_relu_softmax', bpnn_train('iris', 'label', epochs => 100, activation => 'relu', loss => 'cross_entropy',
                                  normalization => 'minmax'), 'iris', 'label'),
 ('wine', bpnn_train('wine', 'label', epochs => 100, hidden => '{32, 16}'), 'wine', 'label'),
 ('wine_softmax', bpnn_train('wine', 'label', epochs => 100, loss => 'cross_entropy', optimizer => 'adam',
                             learning_rate => 0.01), 'wine', 'label'),
 ('concrete', bpnn_train('concrete', 'compressive_strength', epochs => 100, task => 'regression'),
  'concrete', 'compressive_strength'),
 ('concrete_two_outputs', bpnn_train('concrete_two', 'y', epochs => 100, task => 'regression',
                                     activation => 'tanh'), 'concrete_two', 'y'),
 ('credit_impute', bpnn_train('credit', 'label', epochs => 20, missing => 'impute',
                              features => ARRAY['seniority', 'time', 'age', 'expenses', 'income', 'assets',
                                                'debt', 'amount', 'price']), 'credit', 'label');
-- every row of a model's table as the float8[] form takes it (its features
-- in the model's order, NULL where missing), with bpnn's own predictions
CREATE FUNCTION rows_json(name text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	m bpnn_model;
	src text;
	result json;
BEGIN
	SELECT o.model, o.source INTO m, src FROM onnx_models o WHERE o.name = rows_json.name;
	EXECUTE format($q$
		SELECT json_agg(CASE WHEN bpnn_info($1)->>'task' = 'regression'
		                     THEN json_build_object('x', x, 'v', bpnn_predict_values($1, x))
		                     ELSE json_build_object('x', x, 'p', bpnn_predict_proba($1, x), 'label', bpnn_predict($1, x))
		                END)
		FROM (SELECT ARRAY(SELECT (to_jsonb(t)->>f)::float8
		                   FROM jsonb_array_elements_text(bpnn_info($1)->'features') WITH ORDINALITY AS a(f, i)
		                   ORDER BY i) AS x
		      FROM %I t) r$q$, src) INTO result USING m;
	RETURN result;
END $$;
SQL

names=$(psql -X -Atq -d "$db" -c "SELECT name FROM onnx_models ORDER BY name")
for name in $names; do
	psql -X -Atq -d "$db" -c "SELECT encode(bpnn_onnx(model), 'base64') FROM onnx_models WHERE name = '$name'" \
		| base64 -d > "$work/$name.onnx"
	psql -X -Atq -d "$db" -c "SELECT model::text FROM onnx_models WHERE name = '$name'" > "$work/$name.model.json"
	psql -X -Atq -d "$db" -c "SELECT rows_json('$name')" > "$work/$name.rows.json"
done

if /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
	/usr/bin/python3 test/onnx/check.py "$work"/*.onnx
else
	echo "skipped: onnx.checker (python3-onnx is not installed: test/setup.sh installs it)"
fi

if [ -d test/onnx/node_modules/onnxruntime-node ] && command -v node > /dev/null; then
	node test/onnx/parity.js "$work"
else
	echo "skipped: onnxruntime-node (not installed: test/setup.sh runs npm install --ignore-scripts in test/onnx)"
fi

# docs/onnx.md's JavaScript snippet as written, on the iris model, from a
# directory holding it as iris.onnx: its first line is the labels
# bpnn_predict gives its two rows
snippet=$(awk -v m="<!-- test/t/onnx.sh: javascript -->" '
	$0 == m { found = 1; next }
	found && /^```/ { if (inside) exit; inside = 1; next }
	inside { print }' docs/onnx.md)
if [ -z "$snippet" ]; then
	echo "FAILED: docs/onnx.md has no JavaScript snippet after its test/t/onnx.sh marker"
elif [ -d test/onnx/node_modules/onnxruntime-node ] && command -v node > /dev/null; then
	mkdir "$work/snippet"
	cp "$work/iris_bipolar_sigmoid.onnx" "$work/snippet/iris.onnx"
	printf '%s\n' "$snippet" > "$work/snippet/snippet.js"
	expected=$(psql -X -Atq -d "$db" -c "SELECT format('[ ''%s'', ''%s'' ]',
		bpnn_predict(model, ARRAY[5.1, 3.5, 1.4, 0.2]), bpnn_predict(model, ARRAY[6.7, 3.0, 5.2, 2.3]))
		FROM onnx_models WHERE name = 'iris_bipolar_sigmoid'")
	modules="$PWD/test/onnx/node_modules"
	if out=$(cd "$work/snippet" && NODE_PATH="$modules" node snippet.js 2>&1) \
		&& [ "$(head -1 <<< "$out")" = "$expected" ]; then
		echo "ok: docs/onnx.md's JavaScript snippet runs and prints $expected"
	else
		echo "FAILED: docs/onnx.md's JavaScript snippet (expected $expected): $out"
	fi
fi

# names are written in UTF-8 whatever the database's encoding: a LATIN1
# database's class names, read back by python3-onnx
if /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
	createdb -E LATIN1 -T template0 --locale=C "${db}_latin1"
	classes=$(PGCLIENTENCODING=UTF8 psql -X -Atq -v ON_ERROR_STOP=1 -d "${db}_latin1" <<'SQL' 2>&1 | base64 -d > "$work/latin1.onnx" && /usr/bin/python3 -c '
import json, sys, onnx
m = onnx.load(sys.argv[1])
meta = {p.key: p.value for p in m.metadata_props}
tensor = [t for t in m.graph.initializer if t.name == "classes"][0]
print(json.loads(meta["bpnn.classes"]), [s.decode("utf-8") for s in tensor.string_data])' "$work/latin1.onnx" 2>&1
CREATE EXTENSION bpnn;
SET client_min_messages = warning;
CREATE TABLE drinks AS SELECT i::float8 AS x, CASE WHEN i % 2 = 0 THEN 'café' ELSE 'thé' END AS label
FROM generate_series(1, 20) i;
SELECT encode(bpnn_onnx(bpnn_train('drinks', 'label', epochs => 1)), 'base64');
SQL
) || true
	if [ "$classes" = "['café', 'thé'] ['café', 'thé']" ]; then
		echo "ok: a LATIN1 database's class names are UTF-8 in the file's metadata and label tensor: $classes"
	else
		echo "FAILED: a LATIN1 database's class names: $classes"
	fi
fi
