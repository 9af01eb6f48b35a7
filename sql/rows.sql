-- Rows and drivers (issue 13): a row given as jsonb or as a record must
-- match the model's feature columns by name and kind; the text and text[]
-- forms that drivers' untyped and varchar parameters resolve to; the
-- casts of bpnn_model to and from text, varchar, jsonb and bytea.
-- Uses iris, digits_pixels, credit and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/digits_pixels.sql
\i test/fixtures/credit.sql
\i test/fixtures/try.sql
\set ECHO all
SELECT bpnn_train('iris', 'label', epochs => 30) AS m \gset
SELECT bpnn_train('credit', 'label', epochs => 30, missing => 'impute') AS imp \gset
SELECT bpnn_train('credit', 'label', epochs => 30) AS skip \gset
SELECT bpnn_train('digits_pixels', 'label', epochs => 5) AS px \gset
-- the same models for statements inside try(), where psql variables are not replaced
CREATE TABLE rm AS SELECT :'m'::bpnn_model AS m, :'imp'::bpnn_model AS imp, :'skip'::bpnn_model AS skip, :'px'::bpnn_model AS px;

-- every new form is as labelled as the old ones
SELECT pg_get_function_identity_arguments(oid) AS arguments, provolatile, proisstrict, proparallel
FROM pg_proc WHERE proname IN ('bpnn_predict', 'bpnn_predict_proba')
ORDER BY proname, 1;

-- 1. strict row matching
-- the same rows under other column names: an error naming the column, never 150 NULLs
CREATE TABLE renamed_iris AS
SELECT sepal_length_cm AS sepal_length, sepal_width_cm AS sepal_width,
       petal_length_cm AS petal_length, petal_width_cm AS petal_width, label FROM iris;
SELECT try($$SELECT count(bpnn_predict(m, to_jsonb(f))) FROM rm, renamed_iris f$$);
SELECT try($$SELECT count(bpnn_predict(m, f)) FROM rm, renamed_iris f$$);
-- another model's rows: credit's imputing model on renamed_iris, and the empty object
SELECT try($$SELECT count(bpnn_predict(imp, to_jsonb(f))) FROM rm, renamed_iris f$$);
SELECT try($$SELECT bpnn_predict(imp, '{}') FROM rm$$);
SELECT try($$SELECT bpnn_predict(imp, '{}'::jsonb) FROM rm$$);
-- the full error: what is missing, where the columns are listed, what to do
\set VERBOSITY default
SELECT bpnn_predict(:'imp', '{}');
SELECT bpnn_predict(:'skip', to_jsonb(c) - 'income') FROM credit c LIMIT 1;
-- every column is checked, even after a null value has left the row out
SELECT try($$SELECT bpnn_predict(m, '{"sepal_length_cm": null, "sepal_width_cm": 1}') FROM rm$$);
-- values of the wrong kind: a number for a text column, text for a number,
-- nested values, array elements that are not numbers
SELECT try($$SELECT bpnn_predict(imp, jsonb_set(to_jsonb(c), '{home}', '7')) FROM rm, credit c LIMIT 1$$);
SELECT try($$SELECT bpnn_predict(imp, jsonb_set(to_jsonb(c), '{home}', '{"a": 1}')) FROM rm, credit c LIMIT 1$$);
SELECT try($$SELECT bpnn_predict(m, jsonb_set(to_jsonb(i), '{petal_width_cm}', '"0.2"')) FROM rm, iris i LIMIT 1$$);
SELECT try($$SELECT bpnn_predict(m, jsonb_set(to_jsonb(i), '{petal_width_cm}', '[0.2]')) FROM rm, iris i LIMIT 1$$);
-- a boolean column trains as one 0/1 input and to_jsonb gives true/false,
-- so a JSON boolean is read as 1 or 0 for a number column (the model does
-- not record which number columns were booleans)
SELECT bpnn_predict_proba(m, jsonb_set(to_jsonb(i), '{petal_width_cm}', 'true'))
     = bpnn_predict_proba(m, jsonb_set(to_jsonb(i), '{petal_width_cm}', '1')) AS true_is_1
FROM rm, iris i LIMIT 1;
SELECT try($$SELECT bpnn_predict(px, jsonb_set(to_jsonb(d), '{pixels,3}', '"x"')) FROM rm, digits_pixels d LIMIT 1$$);
SELECT try($$SELECT bpnn_predict(px, jsonb_set(to_jsonb(d), '{pixels,3}', '[1]')) FROM rm, digits_pixels d LIMIT 1$$);
-- keys the model does not use are still ignored
SELECT bpnn_predict(:'m', to_jsonb(i) || '{"note": [1, {"x": 2}]}') = bpnn_predict(:'m', to_jsonb(i)) AS extra_keys_ignored
FROM iris i LIMIT 1;

-- missing_keys => 'impute': an imputing model imputes what a row lacks, as a null
SELECT count(*) AS rows,
       count(*) FILTER (WHERE bpnn_predict(:'imp', to_jsonb(c) - 'income' - 'home', missing_keys => 'impute')
                            = bpnn_predict(:'imp', to_jsonb(c) || '{"income": null, "home": null}')) AS same_as_nulls,
       count(*) FILTER (WHERE bpnn_predict_proba(:'imp', to_jsonb(c) - 'income', 'impute')
                            = bpnn_predict_proba(:'imp', to_jsonb(c) || '{"income": null}')) AS same_proba
FROM credit c;
-- 'error' is the two-argument behaviour; a skipping model cannot impute
SELECT try($$SELECT bpnn_predict(imp, to_jsonb(c) - 'income', missing_keys => 'error') FROM rm, credit c LIMIT 1$$);
SELECT try($$SELECT bpnn_predict(skip, to_jsonb(c) - 'income', missing_keys => 'impute') FROM rm, credit c LIMIT 1$$);
SELECT try($$SELECT bpnn_predict(imp, to_jsonb(c), missing_keys => 'guess') FROM rm, credit c LIMIT 1$$);

-- 2. the record form, matched by column name
SELECT count(*) AS rows,
       count(*) FILTER (WHERE bpnn_predict(:'m', i) = bpnn_predict(:'m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm])) AS same_class,
       count(*) FILTER (WHERE bpnn_predict_proba(:'m', i) = bpnn_predict_proba(:'m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm])) AS same_proba
FROM iris i;
-- text columns and NULLs: the record form answers as the jsonb form does
SELECT count(*) AS rows,
       count(*) FILTER (WHERE bpnn_predict(:'imp', c) = bpnn_predict(:'imp', to_jsonb(c))) AS imputing_same,
       count(*) FILTER (WHERE bpnn_predict(:'skip', c) IS NOT DISTINCT FROM bpnn_predict(:'skip', to_jsonb(c))) AS skipping_same,
       count(*) FILTER (WHERE bpnn_predict(:'skip', c) IS NULL) AS skipping_null,
       count(*) FILTER (WHERE bpnn_predict_proba(:'imp', c) = bpnn_predict_proba(:'imp', to_jsonb(c))) AS proba_same
FROM credit c;
-- array columns; columns in another order, of other number types, in a subquery
SELECT count(*) FILTER (WHERE bpnn_predict(:'px', d) = bpnn_predict(:'px', d.pixels)) = count(*) AS arrays_same
FROM digits_pixels d;
SELECT count(*) FILTER (WHERE bpnn_predict(:'m', s) = bpnn_predict(:'m', ARRAY[a, b, c, d])) = count(*) AS by_name_any_number_type
FROM (SELECT label, petal_width_cm::numeric AS petal_width_cm, petal_length_cm::real AS petal_length_cm,
             round(sepal_width_cm)::int AS sepal_width_cm, round(sepal_length_cm)::int8 AS sepal_length_cm,
             petal_width_cm AS d, petal_length_cm::real AS c, round(sepal_width_cm) AS b, round(sepal_length_cm) AS a
      FROM iris) s;
-- char(n) and varchar text values match their categories as ::text reads them
SELECT count(*) FILTER (WHERE bpnn_predict(:'skip', s) IS NOT DISTINCT FROM bpnn_predict(:'skip', c)) = count(*) AS padded_text_same
FROM credit c, LATERAL (SELECT c.seniority, c.home::char(12) AS home, c."time", c.age, c.marital::varchar AS marital,
                               c.records, c.job, c.expenses, c.income, c.assets, c.debt, c.amount, c.price) s;
-- a record that lacks a column, or holds one of another type
SELECT try($$SELECT bpnn_predict(m, ROW(5.1, 3.5, 1.4, 0.2)) FROM rm$$);
SELECT try($$SELECT bpnn_predict(m, s) FROM rm, (SELECT sepal_length_cm::text AS sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm FROM iris) s$$);
SELECT try($$SELECT bpnn_predict(imp, s) FROM rm, (SELECT c.*, 1 AS x FROM credit c) s0, LATERAL (SELECT s0.seniority, 7 AS home, s0."time", s0.age, s0.marital, s0.records, s0.job, s0.expenses, s0.income, s0.assets, s0.debt, s0.amount, s0.price) s$$);
SELECT try($$SELECT bpnn_predict(px, s) FROM rm, (SELECT ARRAY[[1, 2], [3, 4]] AS pixels) s$$);
SELECT try($$SELECT bpnn_predict(px, s) FROM rm, (SELECT ARRAY[1, 2] AS pixels) s$$);
SELECT try($$SELECT bpnn_predict(px, s) FROM rm, (SELECT ARRAY['1'] AS pixels) s$$);
SELECT bpnn_predict(:'imp', s, missing_keys => 'impute') = bpnn_predict(:'imp', to_jsonb(c) - 'income', 'impute') AS record_missing_imputed
FROM credit c, LATERAL (SELECT c.seniority, c.home, c."time", c.age, c.marital, c.records, c.job, c.expenses,
                               c.assets, c.debt, c.amount, c.price) s LIMIT 1;
-- one call site, rows of two record types: each is matched on its own
CREATE FUNCTION pg_temp.some_row(n int) RETURNS record LANGUAGE plpgsql AS $f$
DECLARE
	r record;
BEGIN
	IF n % 2 = 0 THEN
		SELECT * INTO r FROM iris_cv c WHERE c.n = some_row.n;
	ELSE
		SELECT sepal_width_cm, label, petal_width_cm, sepal_length_cm, petal_length_cm INTO r
		FROM iris_cv c WHERE c.n = some_row.n;
	END IF;
	RETURN r;
END
$f$;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE bpnn_predict(:'m', pg_temp.some_row(n))
                            = bpnn_predict(:'m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm])) AS same
FROM iris_cv WHERE n <= 20;

-- 3. forms for drivers: an untyped parameter, a varchar, ODBC's ARRAY[?, ...]
PREPARE untyped(unknown) AS SELECT bpnn_predict(:'m', $1) AS class;
EXECUTE untyped('{5.1, 3.5, 1.4, 0.2}');
EXECUTE untyped('  {"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2}');
EXECUTE untyped('{"5.1", "3.5", "1.4", "0.2"}');
EXECUTE untyped(NULL);
PREPARE as_varchar(varchar) AS SELECT bpnn_predict_proba(:'m', $1) = bpnn_predict_proba(:'m', ARRAY[5.1, 3.5, 1.4, 0.2]) AS same;
EXECUTE as_varchar('{5.1,3.5,1.4,0.2}');
EXECUTE as_varchar('{"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2}');
PREPARE odbc_array(unknown, unknown, unknown, unknown) AS SELECT bpnn_predict(:'m', ARRAY[$1, $2, $3, $4]) AS class;
EXECUTE odbc_array('5.1', '3.5', '1.4', '0.2');
EXECUTE odbc_array('5.1', NULL, '1.4', '0.2');
SELECT bpnn_predict(:'imp', '{"seniority": 1}', 'impute') IS NOT NULL AS untyped_json_imputed;
-- each form's errors are clear, and say how the text was read
SELECT try($$EXECUTE untyped('5.1')$$);
SELECT try($$EXECUTE untyped('{"sepal_length_cm" 5.1}')$$);
SELECT try($$EXECUTE untyped('{"sepal_length_cm": 5.1,}')$$);
SELECT try($$EXECUTE untyped('{5.1, 3.5}')$$);
SELECT try($$EXECUTE odbc_array('5.1', 'wide', '1.4', '0.2')$$);
SELECT try($$SELECT bpnn_predict(imp, '{1, 2}') FROM rm$$);
\set VERBOSITY default
EXECUTE untyped('{"sepal_length_cm" 5.1}');
\set VERBOSITY terse
-- typed arguments resolve as before: numeric[] and int[] to float8[]
SELECT bpnn_predict(:'m', ARRAY[5.1, 3.5, 1.4, 0.2]) AS numeric_array, bpnn_predict(:'m', ARRAY[5, 3, 1, 0]) AS int_array;
DEALLOCATE ALL;

-- 4. casts of bpnn_model
CREATE TABLE stored (name text, model bpnn_model);
-- into a model column from text, varchar (JDBC setString), jsonb and bytea: assignment casts
INSERT INTO stored SELECT 'text', (:'m'::bpnn_model)::text;
INSERT INTO stored SELECT 'varchar', (:'m'::bpnn_model)::text::varchar;
INSERT INTO stored SELECT 'jsonb', (:'m'::bpnn_model)::jsonb;
INSERT INTO stored SELECT 'bytea', (:'m'::bpnn_model)::bytea;
PREPARE put(varchar) AS INSERT INTO stored VALUES ('parameter', $1);
EXECUTE put(:'m');
SELECT name, model::text = :'m' AS same FROM stored ORDER BY name;
-- bytea is the binary form: bpnn_model_send's bytes, read as recv reads them
SELECT (:'m'::bpnn_model)::bytea = bpnn_model_send(:'m') AS bytea_is_send,
       (:'m'::bpnn_model)::jsonb = (:'m')::jsonb AS jsonb_is_text_document,
       (:'m'::bpnn_model)::jsonb::bpnn_model::text = :'m' AS jsonb_round_trip;
SELECT (:'m'::bpnn_model)::bytea AS b \gset
SELECT try($$SELECT (overlay((SELECT m::bytea FROM rm) placing '\x00' from 200 for 1))::bpnn_model$$);
SELECT try($$SELECT substr((SELECT m::bytea FROM rm), 1, 100)::bpnn_model$$);
SELECT try($$SELECT ((SELECT m::bytea FROM rm) || '\x00'::bytea)::bpnn_model$$);
SELECT try($$SELECT '\x'::bytea::bpnn_model$$);
SELECT try($$SELECT '{"format_version": 2}'::jsonb::bpnn_model$$);
SELECT try($$SELECT jsonb_set(m::jsonb, '{classes,1}', '"setosa"')::bpnn_model FROM rm$$);
SELECT try($$SELECT '[]'::jsonb::bpnn_model$$);
-- out of a model the casts are explicit: no silent conversion into another column type
CREATE TABLE exports (b bytea, j jsonb);
SELECT try($$INSERT INTO exports (b) SELECT model FROM stored LIMIT 1$$);
SELECT try($$INSERT INTO exports (j) SELECT model FROM stored LIMIT 1$$);
INSERT INTO exports SELECT model::bytea, model::jsonb FROM stored WHERE name = 'text';
SELECT b::bpnn_model::text = :'m' AS from_bytea, j::bpnn_model::text = :'m' AS from_jsonb FROM exports;
SELECT castsource::regtype, casttarget::regtype, castcontext, castmethod
FROM pg_cast WHERE castsource = 'bpnn_model'::regtype OR casttarget = 'bpnn_model'::regtype ORDER BY 1::text, 2::text;
DROP TABLE stored, exports, renamed_iris, rm;

-- 5. what a record form reads besides its arguments: its columns' names and,
-- for an enum, the value's label.  ALTER TYPE and ALTER TABLE change both
-- under the same stored row, so the record forms are STABLE (as record_out
-- and to_jsonb are) and the other forms, which read their arguments alone,
-- IMMUTABLE: every row-reading function of bpnn, by the type of its row
SELECT CASE WHEN pg_get_function_identity_arguments(p.oid) LIKE '%record%' THEN 'record' ELSE 'other' END AS row_form,
       p.provolatile, count(*)
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bpnn')
  AND p.proname IN ('bpnn_predict', 'bpnn_predict_proba', 'bpnn_predict_value', 'bpnn_predict_values', 'bpnn_explain')
GROUP BY 1, 2 ORDER BY 1, 2;
CREATE TYPE shade AS ENUM ('light', 'dark');
CREATE TABLE shaded AS
SELECT n::float8 AS size, (CASE WHEN n % 2 = 0 THEN 'light' ELSE 'dark' END)::shade AS tone,
       CASE WHEN n % 2 = 0 THEN 'light' ELSE 'dark' END AS tone_name,
       CASE WHEN n % 2 = 0 THEN 'even' ELSE 'odd' END AS parity
FROM generate_series(1, 40) n;
SELECT bpnn_train('shaded', 'parity', features => '{size, tone}', hidden => '{4}', epochs => 200, seed => 3) AS sh \gset
CREATE TABLE rm AS SELECT :'sh'::bpnn_model AS sh;
SELECT bpnn_info(:'sh') -> 'features' AS features;
SELECT bpnn_predict_proba(:'sh', s) = bpnn_predict_proba(:'sh', '{"size": 1, "tone": "dark"}') AS read_as_dark
FROM shaded s WHERE size = 1;
-- the same stored row, another answer: its value is now 'black', a category the model never saw
ALTER TYPE shade RENAME VALUE 'dark' TO 'black';
SELECT bpnn_predict_proba(:'sh', s) = bpnn_predict_proba(:'sh', '{"size": 1, "tone": "black"}') AS read_as_unseen,
       bpnn_predict_proba(:'sh', s) <> bpnn_predict_proba(:'sh', '{"size": 1, "tone": "dark"}') AS not_as_dark
FROM shaded s WHERE size = 1;
-- and a renamed column is an error for the same row
ALTER TABLE shaded RENAME COLUMN tone TO colour;
SELECT try($$SELECT bpnn_predict(sh, s) FROM rm, shaded s$$);
-- so no index may store a record form's answers; one of the text form, of
-- immutable expressions, it may
SELECT try(format('CREATE INDEX shaded_by_record ON shaded (bpnn_predict(%L::bpnn_model, shaded))', :'sh'));
SELECT try(format($$CREATE INDEX shaded_by_text ON shaded (bpnn_predict(%L::bpnn_model, '{"size": ' || size::text || ', "tone": "' || tone_name || '"}'))$$, :'sh'));
SELECT count(*) AS odd FROM shaded
WHERE bpnn_predict(:'sh'::bpnn_model, '{"size": ' || size::text || ', "tone": "' || tone_name || '"}') = 'odd';
DROP TABLE shaded, rm;
DROP TYPE shade;
