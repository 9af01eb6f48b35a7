-- Text feature columns (one-hot encoded), NULL features (skipped or
-- imputed), and rows given to bpnn_predict as jsonb.  The credit data set
-- has four text columns and missing values: it trains with no preparation.
-- Uses iris, digits_pixels, credit and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/digits_pixels.sql
\i test/fixtures/credit.sql
\i test/fixtures/try.sql
\set ECHO all
SELECT count(*) AS rows, count(*) FILTER (WHERE home IS NULL OR job IS NULL OR income IS NULL
                                           OR assets IS NULL OR debt IS NULL OR marital IS NULL) AS rows_with_null
FROM credit;

-- the default: rows with a NULL feature are skipped
SELECT bpnn_train('credit', 'label') AS skip \gset
SELECT bpnn_info(:'skip')->'training'->'rows_used' AS used, bpnn_info(:'skip')->'training'->'rows_skipped' AS skipped,
       bpnn_info(:'skip')->>'missing' AS missing;
-- text columns became one input per value, in sorted order
SELECT c->>'name' AS name, c->>'kind' AS kind, c->'width' AS width, c->'values' AS values
FROM jsonb_array_elements(bpnn_info(:'skip')->'columns') c;
SELECT bpnn_info(:'skip')->'layers' AS layers,
       jsonb_path_query_array(bpnn_info(:'skip'), '$.features[*] ? (@ starts with "home=")') AS home_inputs;
-- one-hot inputs are not rescaled
SELECT bool_and((bpnn_info(:'skip')->'normalization'->'scale'->>i)::float8 = 1
                AND (bpnn_info(:'skip')->'normalization'->'shift'->>i)::float8 = 0) AS one_hot_unscaled
FROM generate_series(0, jsonb_array_length(bpnn_info(:'skip')->'features') - 1) i
WHERE bpnn_info(:'skip')->'features'->>i LIKE '%=%';

-- imputation: every row trains, NULL numbers become the training mean
SELECT bpnn_train('credit', 'label', missing => 'impute') AS imp \gset
SELECT bpnn_info(:'imp')->'training'->'rows_used' AS used, bpnn_info(:'imp')->>'missing' AS missing,
       round((bpnn_info(:'imp')->'impute'->>(SELECT i FROM generate_series(0, 40) i
              WHERE bpnn_info(:'imp')->'features'->>i = 'income'))::numeric, 2)
         = round((SELECT avg(income) FROM credit), 2) AS income_imputed_with_mean;
-- held-out quality on the rows with gaps too
SELECT (e->>'accuracy')::float8 > 0.75 AS accurate, e->'rows_used' AS rows
FROM (SELECT bpnn_evaluate(:'imp', 'credit', 'label') AS e) s;
SELECT count(*) AS folds, avg(accuracy) > 0.75 AS accurate
FROM bpnn_cross_validate('credit', 'label', folds => 5, missing => 'impute');

-- rows as jsonb: to_jsonb of a source row, extra keys ignored
SELECT count(*) FILTER (WHERE bpnn_predict(:'imp', to_jsonb(c)) = label)::float8 / count(*) > 0.75 AS accurate,
       count(*) FILTER (WHERE bpnn_predict(:'imp', to_jsonb(c)) IS NULL) AS unknown
FROM credit c;
-- the jsonb path agrees with bpnn_evaluate
SELECT abs((SELECT avg((bpnn_predict(:'imp', to_jsonb(c)) = label)::int) FROM credit c)
           - (bpnn_evaluate(:'imp', 'credit', 'label')->>'accuracy')::float8) < 1e-12 AS agrees;
-- a null value: imputed by an imputing model, NULL for a skipping one; a
-- missing key is an error (sql/rows.sql), unless an imputing model is
-- asked to impute it
SELECT bpnn_predict(:'imp', jsonb_set(to_jsonb(c), '{income}', 'null')) IS NOT NULL AS imputed,
       bpnn_predict(:'skip', jsonb_set(to_jsonb(c), '{income}', 'null')) IS NULL AS unknown,
       bpnn_predict(:'imp', to_jsonb(c) - 'income', missing_keys => 'impute')
         = bpnn_predict(:'imp', jsonb_set(to_jsonb(c), '{income}', 'null')) AS missing_key_imputed
FROM credit c LIMIT 1;
-- an unseen text value is no category at all; probabilities still sum to 1
SELECT bpnn_predict(:'skip', jsonb_set(to_jsonb(c), '{home}', '"boat"')) IS NOT NULL AS unseen_value_ok,
       abs((SELECT sum(p) FROM unnest(bpnn_predict_proba(:'skip', to_jsonb(c))) p) - 1) < 1e-9 AS sums_to_one
FROM credit c WHERE home IS NOT NULL AND job IS NOT NULL AND income IS NOT NULL
  AND assets IS NOT NULL AND debt IS NOT NULL AND marital IS NOT NULL LIMIT 1;
-- numeric models take jsonb rows too; float8[] and jsonb agree
CREATE TABLE fe_iris_model AS SELECT bpnn_train('iris', 'label') AS model;
CREATE TABLE fe_digits_model AS SELECT bpnn_train('digits_pixels', 'label', epochs => 1) AS model;
SELECT bool_and(bpnn_predict(model, to_jsonb(i)) = bpnn_predict(model, ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm])) AS same
FROM iris i, fe_iris_model;
-- an untyped string resolves to the text form, which reads a JSON object
-- as jsonb and anything else as float8[] (sql/rows.sql)
SELECT bpnn_predict(model, '{5.1, 3.5, 1.4, 0.2}') AS untyped FROM fe_iris_model;
SELECT bpnn_predict(model, '{5.1, 3.5, 1.4, 0.2}'::float8[]) AS as_array,
       bpnn_predict(model, '{"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2}'::jsonb) AS as_json
FROM fe_iris_model;
-- float8[] cannot carry text features; jsonb values must fit their column
SELECT try($$SELECT bpnn_predict((SELECT bpnn_train('credit', 'label', epochs => 1)), ARRAY[1, 2])$$);
SELECT try($$SELECT bpnn_predict((SELECT model FROM fe_iris_model), '{"sepal_length_cm": "long"}'::jsonb)$$);
SELECT try($$SELECT bpnn_predict((SELECT model FROM fe_iris_model), '[1, 2, 3, 4]'::jsonb)$$);
SELECT try($$SELECT bpnn_predict((SELECT model FROM fe_digits_model), '{"pixels": [1, 2]}'::jsonb)$$);
SELECT try($$SELECT bpnn_predict((SELECT bpnn_train('credit', 'label', epochs => 1, missing => 'impute')), (SELECT jsonb_set(to_jsonb(c), '{home}', '[1]') FROM credit c LIMIT 1))$$);
SELECT try($$SELECT bpnn_train('credit', 'label', missing => 'guess')$$);
-- NULL array elements are imputed element by element
CREATE TABLE digits_holes AS SELECT * FROM digits_pixels;
UPDATE digits_holes SET pixels[10] = NULL WHERE label = 3;
SELECT bpnn_info(m)->'training'->'rows_used' AS used,
       bpnn_predict(m, '{NULL,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}'::float8[]) IS NOT NULL AS null_element_imputed
FROM (SELECT bpnn_train('digits_holes', 'label', epochs => 5, missing => 'impute') AS m) s;
-- a column with only NULLs cannot be imputed
CREATE TABLE all_null (x float8, y float8, label int);
INSERT INTO all_null SELECT g, NULL, g % 2 FROM generate_series(1, 10) g;
SELECT try($$SELECT bpnn_train('all_null', 'label', missing => 'impute')$$);
-- too many distinct text values to one-hot encode: left out by default
-- (feature_choice.sql), an error when named
CREATE TABLE ids AS SELECT 'id' || g AS name, g::float8 AS x, g % 2 AS label FROM generate_series(1, 1500) g;
SELECT try($$SELECT bpnn_train('ids', 'label', features => '{name, x}')$$);
SELECT bpnn_info(bpnn_train('ids', 'label', features => '{x}', epochs => 1))->'features' AS numeric_only;
