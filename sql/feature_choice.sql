-- Which columns bpnn_train uses (issue 13): by default not keys, free text
-- or dates, each left out with its reason in one NOTICE and in bpnn_info;
-- exclude; booleans as 0/1; too many classes; and the smaller points.
-- Uses iris and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/try.sql
\set ECHO all
SET client_min_messages = notice;

-- the issue's table: a serial key in class order, 4 measurements, the
-- label, a timestamp, one note per row; then an identity, a bigserial, a
-- boolean, a jsonb and a text column with few values
CREATE TABLE people (id serial PRIMARY KEY, a float8, b float8, c float8, d float8, label text,
                     created_at timestamptz DEFAULT '2024-01-01', notes text,
                     ident int GENERATED ALWAYS AS IDENTITY, sn bigserial, flag boolean,
                     extra jsonb, color text);
INSERT INTO people (a, b, c, d, label, notes, flag, extra, color)
SELECT sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm, label, 'row ' || n,
       n % 2 = 0, '{}', (ARRAY['red', 'green', 'blue'])[1 + n % 3]
FROM iris_cv ORDER BY label, n;
SELECT bpnn_train('people', 'label', epochs => 30) AS m \gset
SELECT bpnn_info(:'m')->'layers' AS layers, bpnn_info(:'m')->'features' AS features;
SELECT jsonb_pretty(bpnn_info(:'m')->'skipped_columns') AS skipped;
SELECT value->>'name' AS name, value->>'kind' AS kind FROM jsonb_array_elements(bpnn_info(:'m')->'columns');
-- the text form keeps them (exact round trip)
SELECT (:'m'::bpnn_model)::text = :'m' AS round_trip,
       :'m'::jsonb->'skipped_columns' = bpnn_info(:'m')->'skipped_columns' AS same_list;

-- exclude: by name, beside the default choice; it names existing columns
SELECT bpnn_info(bpnn_train('people', 'label', epochs => 1, exclude => '{flag, color}'))->'features' AS features;
SELECT try($$SELECT bpnn_train('people', 'label', exclude => '{nope}')$$);
SELECT try($$SELECT bpnn_train('people', 'label', exclude => '{a, NULL}')$$);
SELECT try($$SELECT bpnn_train('people', 'label', exclude => '{{a}, {b}}')$$);
SELECT try($$SELECT bpnn_train('people', 'label', features => '{a}', exclude => '{b}')$$);
-- named features are taken as named: a key is the user's choice, a date is not a number
SELECT bpnn_info(bpnn_train('people', 'label', features => '{id, a}', epochs => 1))->'skipped_columns' AS none_left_out;
SELECT try($$SELECT bpnn_train('people', 'label', features => '{created_at}')$$);
-- nothing left to train on: the reasons say why
CREATE TABLE only_keys (id serial PRIMARY KEY, note text, label int);
INSERT INTO only_keys (note, label) SELECT 'n' || g, g % 2 FROM generate_series(1, 10) g;
SELECT bpnn_train('only_keys', 'label');
-- a view carries no keys: exclude them there
CREATE VIEW people_view AS SELECT id, a, b, label FROM people;
SELECT bpnn_info(bpnn_train('people_view', 'label', epochs => 1))->'features' AS with_id,
       bpnn_info(bpnn_train('people_view', 'label', epochs => 1, exclude => '{id}'))->'features' AS without_id;
-- source is a regclass, parsed as SQL (quote a mixed-case name inside the
-- string); column names are taken as written: a quoted one gets a hint
CREATE TABLE "Cased" ("Class" text, "x ""y""" float8);
INSERT INTO "Cased" SELECT (ARRAY['a', 'b'])[1 + g % 2], g FROM generate_series(1, 10) g;
SELECT bpnn_train('"Cased"', '"Class"');
SELECT bpnn_train('"Cased"', 'Class', features => '{"\"x \"\"y\"\"\""}');
SELECT bpnn_info(bpnn_train('"Cased"', 'Class', epochs => 1))->'features' AS features;

-- free text: more distinct values than half the non-NULL values
CREATE TABLE notes_t (x float8, half text, most text, label int);
INSERT INTO notes_t SELECT g, 'h' || (g % 5), CASE WHEN g <= 6 THEN 'm' || g END, g % 2
FROM generate_series(1, 10) g;
SELECT bpnn_info(m)->'features' AS features, bpnn_info(m)->'skipped_columns' AS skipped
FROM (SELECT bpnn_train('notes_t', 'label', epochs => 1) AS m) s;

-- a boolean is one input, 0 or 1, on every path
SELECT value FROM jsonb_array_elements(bpnn_info(:'m')->'columns') WHERE value->>'name' = 'flag';
SELECT bpnn_train('people', 'label', epochs => 30, exclude => '{color}') AS no_color \gset
SELECT count(*) AS rows_scored,
       count(*) FILTER (WHERE bpnn_predict(:'no_color', to_jsonb(p)) =
                              bpnn_predict(:'no_color', ARRAY[a, b, c, d, flag::int]::float8[])) AS jsonb_and_array_agree
FROM people p;
SELECT (bpnn_evaluate(:'m', 'people', 'label')->>'accuracy')::float8 > 0.8 AS evaluates;
-- a model of bpnn 0.3 one-hot encoded a boolean as the text 'false' and
-- 'true' (the same as a text column of those values): it still reads a
-- boolean column so
CREATE TABLE flag_text AS SELECT a, b, c, d, flag::text AS flag, label FROM people;
CREATE TABLE flag_bool AS SELECT a, b, c, d, flag, label FROM people;
SELECT bpnn_train('flag_text', 'label', epochs => 30) AS old_style \gset
SELECT bpnn_info(:'old_style')->'features' AS one_hot_flag,
       bpnn_evaluate(:'old_style', 'flag_bool', 'label') = bpnn_evaluate(:'old_style', 'flag_text', 'label') AS same_evaluation,
       (SELECT bool_and(bpnn_predict(:'old_style', to_jsonb(t)) = bpnn_predict(:'old_style', to_jsonb(f)))
        FROM flag_bool t JOIN flag_text f USING (a, b, c, d, label)) AS same_predictions;
-- streaming (beyond bpnn.memory_limit) reads it as 0 or 1 too
CREATE TABLE many_people AS SELECT p.* FROM people p, generate_series(1, 100);
SET bpnn.memory_limit = '256kB';
SELECT bpnn_info(m)->'columns'->4 AS streamed_flag, bpnn_info(m)->'training'->'rows_used' AS rows_used
FROM (SELECT bpnn_train('many_people', 'label', features => '{a, b, c, d, flag}', hidden => '{4}',
                        epochs => 2, batch_size => 0) AS m) s;
RESET bpnn.memory_limit;

-- labels: more distinct values than max_classes (1000 by default) is an
-- error before training, with the count and a hint
CREATE TABLE measured AS SELECT g::float8 / 7 AS x, (g * 1.37)::float8 AS reading FROM generate_series(1, 1500) g;
SELECT bpnn_train('measured', 'reading');
SELECT try($$SELECT bpnn_train('people', 'a', max_classes => 10)$$);
SELECT bpnn_info(bpnn_train('people', 'a', max_classes => 100, epochs => 1))->'layers'->-1 AS classes_allowed;
SELECT try($$SELECT bpnn_train('people', 'label', max_classes => 1)$$);
SELECT try($$SELECT bpnn_train('people', 'label', max_classes => NULL)$$);
SELECT try($$SELECT * FROM bpnn_cross_validate('measured', 'reading', folds => 2)$$);
-- streaming counts the classes in its first scan
CREATE TABLE many_measured AS SELECT g::float8 / 7 AS x, (g * 1.37)::float8 AS reading FROM generate_series(1, 10000) g;
SET bpnn.memory_limit = '64kB';
SELECT try($$SELECT bpnn_train('many_measured', 'reading', hidden => '{2}', batch_size => 0)$$) AS streamed;
RESET bpnn.memory_limit;
SELECT try($$SELECT bpnn_fit(ARRAY[x], reading, '{"max_classes": 10}') FROM measured$$);
SELECT try($$SELECT bpnn_fit(ARRAY[x], reading, '{"exclude": ["x"]}') FROM measured$$);

-- squared error: no probability is exactly 0 or 1, each row sums to 1,
-- and log-loss is finite
SELECT bool_and(p > 0 AND p < 1) AS open_interval,
       max(abs(s - 1)) < 1e-12 AS sums_to_one,
       avg(ll) < 1 AS log_loss_finite
FROM (SELECT (SELECT min(v) FROM unnest(pr) v) AS p, (SELECT sum(v) FROM unnest(pr) v) AS s,
             -ln(pr[array_position(bpnn_classes(:'m'), label)]) AS ll
      FROM (SELECT bpnn_predict_proba(:'m', to_jsonb(p)) AS pr, label FROM people p) q) r;

-- bpnn_info: imputed values only for a model that imputes; best_epoch and
-- validation_loss null without validation
SELECT bpnn_info(:'m') ? 'impute' AS skip_shows_impute,
       bpnn_info(bpnn_train('people', 'label', epochs => 1, missing => 'impute')) ? 'impute' AS impute_shows_impute,
       bpnn_info(:'m')->'training'->'best_epoch' AS best_epoch,
       bpnn_info(:'m')->'training'->'validation_loss' AS validation_loss,
       (bpnn_info(bpnn_train('people', 'label', epochs => 5, validation_fraction => 0.2))->'training'->>'best_epoch')::int > 0 AS validated_best_epoch;
-- a model of format 2 (best_epoch 0, no skipped_columns) still reads
SELECT (jsonb_set(jsonb_set(jsonb_set(:'m'::jsonb - 'skipped_columns', '{format_version}', '2'),
                            '{training,best_epoch}', '0'), '{training,validation_loss}', '0')::text::bpnn_model
        IS NOT NULL) AS reads_format_2;

-- cross-validation: every fold is scored on at least 2 rows
CREATE TABLE six AS SELECT g::float8 AS x, g % 2 AS label FROM generate_series(1, 6) g;
SELECT * FROM bpnn_cross_validate('six', 'label', folds => 5, epochs => 1);
SELECT count(*) AS folds FROM bpnn_cross_validate('six', 'label', folds => 3, epochs => 1);
CREATE TABLE three AS SELECT g::float8 AS x, g % 2 AS label FROM generate_series(1, 3) g;
SELECT * FROM bpnn_cross_validate('three', 'label', folds => 2, epochs => 1);

-- a row of features is one-dimensional wherever it is read
SELECT try(format('SELECT bpnn_predict_proba(%L, ARRAY[[1, 2, 3, 4], [5, 6, 7, 8]]::float8[])', :'m'));
SELECT try(format('SELECT bpnn_gradient(%L, ARRAY[[1, 2, 3, 4], [5, 6, 7, 8]]::float8[], ''setosa'')', :'m'));
SELECT try($$SELECT bpnn_fit(ARRAY[[x, x]], label, '{}') FROM six$$);
