-- Evaluation in SQL: bpnn_evaluate (metrics), bpnn_confusion (rows) and
-- bpnn_cross_validate (stratified, seeded folds).
-- Uses iris, wine, digits_pixels and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/wine.sql
\i test/fixtures/digits_pixels.sql
\i test/fixtures/try.sql
\set ECHO all
CREATE VIEW iris_train AS SELECT * FROM iris_cv WHERE fold <> 0;
CREATE VIEW iris_test AS SELECT * FROM iris_cv WHERE fold = 0;
CREATE TABLE eval_model AS
SELECT bpnn_train('iris_train', 'label', features => '{sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm}') AS m;

-- the metrics document
SELECT jsonb_object_keys(bpnn_evaluate(m, 'iris_test', 'label')) AS key FROM eval_model ORDER BY 1;
SELECT e->'rows_used' AS rows, e->'rows_skipped' AS skipped, e->'unknown_labels' AS unknown,
       (e->>'accuracy')::float8 >= 0.9 AS accurate,
       jsonb_path_query_array(e, '$.classes[*].class') AS classes,
       jsonb_path_query_array(e, '$.classes[*].support') AS support,
       e->'confusion'->'actual' AS actual
FROM (SELECT bpnn_evaluate(m, 'iris_test', 'label') AS e FROM eval_model) s;
-- on its own training rows the accuracy is the one training recorded
SELECT (bpnn_evaluate(m, 'iris_train', 'label')->>'accuracy')::float8
       = (bpnn_info(m)->'training'->>'train_accuracy')::float8 AS same_as_training
FROM eval_model;
-- accuracy agrees with bpnn_predict row by row; the confusion counts add up
SELECT (e->>'accuracy')::float8 = p.accuracy AS agrees_with_predict,
       (SELECT sum(c::int) FROM jsonb_array_elements(e->'confusion'->'counts') r,
               jsonb_array_elements_text(r) c) = 15 AS counts_add_up
FROM (SELECT bpnn_evaluate(m, 'iris_test', 'label') AS e FROM eval_model) s,
     (SELECT avg((bpnn_predict(m, ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]) = label)::int)::float8 AS accuracy
      FROM iris_test, eval_model) p;

-- the confusion matrix as rows, for reporting tools
SELECT * FROM bpnn_confusion((SELECT m FROM eval_model), 'iris_cv', 'label')
ORDER BY actual, predicted;

-- a label the model never saw is counted, and always wrong
CREATE VIEW two_species AS SELECT * FROM iris WHERE label <> 'virginica';
SELECT e->'unknown_labels' AS unknown, e->'confusion'->'actual' AS actual,
       (e->>'accuracy')::float8 <= 2.0 / 3 AS at_most_two_thirds
FROM (SELECT bpnn_evaluate(bpnn_train('two_species', 'label', epochs => 20), 'iris', 'label') AS e) s;
-- rows with a NULL label or feature are skipped
CREATE TABLE eval_gaps AS SELECT * FROM iris_cv;
UPDATE eval_gaps SET label = NULL WHERE n IN (2, 3, 4);
UPDATE eval_gaps SET sepal_width_cm = NULL WHERE n IN (5, 6);
SELECT bpnn_evaluate(bpnn_train('eval_gaps', 'label', features => '{sepal_length_cm,sepal_width_cm}', epochs => 5),
                     'eval_gaps', 'label')->'rows_skipped' AS skipped;
-- array features, evaluated on a table with the same array column
SELECT (bpnn_evaluate(bpnn_train('digits_pixels', 'label', epochs => 10), 'digits_pixels', 'label')->>'accuracy')::float8 > 0.9 AS digits_fit;

-- many classes: the counts are kept cell by cell, not in a classes x classes
-- array (12,000 classes needed 1.1 GB); beyond 1,000,000 cells bpnn_evaluate
-- leaves the matrix out with a NOTICE, bpnn_confusion returns every cell.
-- A model of 1,001 classes, one input, all weights zero: it predicts c1.
CREATE TABLE many_labels AS
SELECT (i % 7)::float8 AS x, 'c' || i AS label FROM generate_series(1, 1001) i
UNION ALL SELECT 3, 'stranger';
CREATE TABLE many_classes AS
SELECT format('{"format_version": 1, "layers": [1, 1001], "activation": "bipolar_sigmoid", '
  '"output_activation": "bipolar_sigmoid", "loss": "squared_error", "features": ["x"], "classes": [%s], '
  '"columns": [{"name": "x", "kind": "number", "width": 1}], "missing": "skip", "impute": [0], '
  '"normalization": {"method": "zscore", "shift": [0], "scale": [1]}, '
  '"training": {"source": "many_labels", "label_column": "label", "epochs": 1, "learning_rate": 0.2, '
  '"momentum": 0.7, "batch_size": 32, "init_range": 0.1, "seed": 1, "optimizer": "momentum", '
  '"weight_decay": 0, "validation_fraction": 0, "patience": 10, "class_weights": [%s], '
  '"rows_used": 1001, "validation_rows": 0, "rows_skipped": 0, "epochs_run": 1, "best_epoch": 0, '
  '"validation_loss": 0, "final_loss": 1, "train_accuracy": 0, "seconds": 0, "loss_per_epoch": [1]}, '
  '"weights": [[%s]]}',
  (SELECT string_agg(format('"c%s"', i), ', ') FROM generate_series(1, 1001) i),
  repeat('1, ', 1000) || '1', repeat('0, ', 2 * 1001 - 1) || '0')::bpnn_model AS m;
WITH s AS MATERIALIZED (SELECT bpnn_evaluate(m, 'many_labels', 'label') AS e FROM many_classes)
SELECT e->'rows_used' AS rows, e->'unknown_labels' AS unknown, e->'confusion' AS confusion,
       jsonb_array_length(e->'classes') AS classes, e->'classes'->0->'class' AS first,
       e->'classes'->0->'recall' AS recall, e->'classes'->0->'support' AS support,
       abs((e->>'accuracy')::float8 - 1.0 / 1002) < 1e-12 AS accuracy_one_in_1002
FROM s;
SELECT count(*) AS cells, sum(count) AS rows, count(*) FILTER (WHERE count > 0) AS non_zero,
       count(*) FILTER (WHERE predicted = 'c1' AND count = 1) AS predicted_c1,
       sum(count) FILTER (WHERE actual = 'stranger') AS stranger
FROM many_classes, bpnn_confusion(m, 'many_labels', 'label');

-- cross-validation: every row is tested once, each fold trains on the others
SELECT count(*) AS folds, sum(test_rows) AS tested, min(train_rows + test_rows) = 150 AND max(train_rows + test_rows) = 150 AS partition,
       min(test_rows) AS smallest, max(test_rows) AS largest, avg(accuracy) > 0.9 AS accurate,
       bool_and(loss > 0 AND seconds >= 0) AS sane
FROM bpnn_cross_validate('iris', 'label');
-- stratified: every fold of 150 iris rows in 10 folds has 5 of each class,
-- so every fold has 15 rows; same seed, same folds and results
SELECT a.fold, a.test_rows, a.accuracy = b.accuracy AND a.loss = b.loss AS repeatable
FROM bpnn_cross_validate('iris', 'label', folds => 5, epochs => 20) a
JOIN bpnn_cross_validate('iris', 'label', folds => 5, epochs => 20) b USING (fold) ORDER BY fold;
-- the training arguments are bpnn_train's
SELECT count(*) AS folds, avg(accuracy) > 0.8 AS accurate
FROM bpnn_cross_validate('iris', 'label', 3, hidden => '{8,4}', activation => 'tanh', normalization => 'zscore',
                         batch_size => 16, epochs => 100, learning_rate => 0.05, seed => 7,
                         loss => 'cross_entropy', optimizer => 'adam', weight_decay => 0.0001);

-- bad input
SELECT try($$SELECT * FROM bpnn_cross_validate('iris', 'label', folds => 1)$$);
SELECT try($$SELECT * FROM bpnn_cross_validate('iris', 'label', folds => NULL)$$);
SELECT try($$SELECT * FROM bpnn_cross_validate('iris', 'label', folds => 151)$$);
SELECT try($$SELECT * FROM bpnn_cross_validate('iris', 'label', epochs => 0)$$);
SELECT try($$SELECT bpnn_evaluate((SELECT m FROM eval_model), 'wine', 'label')$$);
SELECT try($$SELECT bpnn_evaluate((SELECT m FROM eval_model), 'iris', 'nope')$$);
CREATE TABLE eval_other (x float8, label text);
SELECT try($$SELECT bpnn_evaluate((SELECT m FROM eval_model), 'eval_other', 'label')$$);
-- a feature column of another kind than the model's
CREATE TABLE eval_text_feature AS
SELECT sepal_length_cm::text AS sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm, label FROM iris;
SELECT bpnn_evaluate(m, 'eval_text_feature', 'label') FROM eval_model;
CREATE TABLE short_pixels AS SELECT pixels[1:32] AS pixels, label FROM digits_pixels;
SELECT try($$SELECT bpnn_evaluate(bpnn_train('digits_pixels', 'label', epochs => 1), 'short_pixels', 'label')$$);
-- statement_timeout stops cross-validation too
SET statement_timeout = '200ms';
SELECT count(*) FROM bpnn_cross_validate('digits_pixels', 'label', epochs => 1000000);
RESET statement_timeout;
