-- Using a model: classes, probabilities, NULLs, stored models, parallel
-- queries and expression indexes (bpnn_predict is IMMUTABLE PARALLEL SAFE).
-- Uses iris and digits_pixels (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/digits_pixels.sql
\set ECHO all
CREATE TABLE iris_model AS SELECT bpnn_train('iris', 'label') AS model;
SELECT model AS m FROM iris_model \gset

SELECT bpnn_predict(:'m', ARRAY[5.1, 3.5, 1.4, 0.2]) AS setosa,
       bpnn_predict(:'m', ARRAY[6.0, 2.9, 4.5, 1.5]) AS versicolor,
       bpnn_predict(:'m', ARRAY[7.7, 3.0, 6.1, 2.3]) AS virginica;
-- integer arrays are numbers too
SELECT bpnn_predict(:'m', ARRAY[5, 3, 1, 0]);
-- probabilities: one per class, in bpnn_classes order, summing to 1
SELECT bpnn_classes(:'m'),
       array_length(p, 1) AS n, round(p[1]::numeric, 2) AS p_setosa,
       abs((SELECT sum(x) FROM unnest(p) x) - 1) < 1e-12 AS sums_to_one
FROM (SELECT bpnn_predict_proba(:'m', ARRAY[5.1, 3.5, 1.4, 0.2]) AS p) s;
-- a NULL feature makes the prediction unknown; a NULL model too (STRICT)
SELECT bpnn_predict(:'m', ARRAY[5.1, NULL, 1.4, 0.2]) IS NULL AS null_feature,
       bpnn_predict_proba(:'m', ARRAY[5.1, NULL, 1.4, 0.2]) IS NULL AS null_proba,
       bpnn_predict(NULL, ARRAY[5.1, 3.5, 1.4, 0.2]) IS NULL AS null_model;

-- the model read from a table for every row, as reporting queries do
SELECT label, bpnn_predict((SELECT model FROM iris_model),
                           ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]) AS predicted,
       count(*)
FROM iris GROUP BY 1, 2 ORDER BY 1, 2;

-- several models in one query: each row gets its own model's answer
CREATE TABLE two_models AS
SELECT 'petals' AS name, bpnn_train('iris', 'label', features => '{petal_length_cm,petal_width_cm}', epochs => 30) AS model
UNION ALL
SELECT 'sepals', bpnn_train('iris', 'label', features => '{sepal_length_cm,sepal_width_cm}', epochs => 30);
SELECT t.name, count(*) FILTER (WHERE bpnn_predict(t.model, ARRAY[i.petal_length_cm, i.petal_width_cm])
                                   = bpnn_predict((SELECT model FROM two_models WHERE name = t.name),
                                                  ARRAY[i.petal_length_cm, i.petal_width_cm])) AS agree,
       count(*)
FROM iris i CROSS JOIN two_models t GROUP BY t.name ORDER BY 1;

-- parallel query: the plan has workers, the answer equals the serial one
SELECT count(*) FILTER (WHERE bpnn_predict(:'m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]) = label) AS serial_correct
FROM iris_cv;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT count(*) FILTER (WHERE bpnn_predict(:'m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]) = label)
FROM iris_cv;
SELECT count(*) FILTER (WHERE bpnn_predict(:'m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]) = label) AS parallel_correct
FROM iris_cv;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- an expression index and a view over predictions
CREATE INDEX iris_predicted ON iris_cv (bpnn_predict(:'m'::bpnn_model, ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]));
CREATE VIEW iris_scored AS
SELECT n, label, bpnn_predict((SELECT model FROM iris_model), ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]) AS predicted
FROM iris_cv;
SELECT count(*) FROM iris_scored WHERE predicted = label::text;
DROP INDEX iris_predicted;
-- a generated column classifies rows as they are written (an ETL load)
CREATE TABLE incoming (id int, a float8, b float8, c float8, d float8,
  predicted text GENERATED ALWAYS AS (bpnn_predict(:'m'::bpnn_model, ARRAY[a, b, c, d])) STORED);
INSERT INTO incoming (id, a, b, c, d)
VALUES (1, 5.1, 3.5, 1.4, 0.2), (2, 6.0, 2.9, 4.5, 1.5), (3, 7.7, 3.0, 6.1, 2.3), (4, 5.0, NULL, 1.4, 0.2);
SELECT id, predicted FROM incoming ORDER BY id;

-- a model large enough to be stored out of line (TOAST), read row by row
CREATE TABLE digits_model AS SELECT bpnn_train('digits_pixels', 'label', epochs => 30) AS model;
SELECT pg_column_size(model) > 8000 AS stored_out_of_line FROM digits_model;
SELECT count(*) FILTER (WHERE bpnn_predict(m.model, pixels) = label::text) > 1700 AS fits_training_rows
FROM digits_pixels CROSS JOIN digits_model m;
