-- Bad input gets a clear error with a specific SQLSTATE, and the session
-- stays usable.  try() shows each error as SQLSTATE: message.
-- Uses iris and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/try.sql
\set ECHO all
-- NULL arguments
SELECT try($$SELECT bpnn_train(NULL, 'label')$$);
SELECT try($$SELECT bpnn_train('iris', NULL)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', hidden => NULL)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', epochs => NULL)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', activation => NULL)$$);
-- missing relations and columns
SELECT try($$SELECT bpnn_train('no_such_table', 'label')$$);
SELECT try($$SELECT bpnn_train(0::oid::regclass, 'label')$$);
SELECT try($$SELECT bpnn_train('iris', 'no_such_column')$$);
SELECT try($$SELECT bpnn_train('iris', 'ctid')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', features => '{sepal_length_cm,nope}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', features => '{sepal_length_cm,sepal_length_cm}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', features => '{sepal_length_cm,label}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', features => '{}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', features => ARRAY['sepal_length_cm', NULL])$$);
SELECT try($$SELECT bpnn_train('iris', 'label', features => '{{sepal_length_cm}}')$$);
SELECT try($$SELECT bpnn_train('pg_class_oid_index', 'label')$$);
CREATE TABLE shapes (p point, label text);
INSERT INTO shapes VALUES (point(1, 2), 'x'), (point(3, 4), 'y');
SELECT try($$SELECT bpnn_train('shapes', 'label')$$);
SELECT try($$SELECT bpnn_train('shapes', 'label', features => '{p}')$$);
-- empty tables, all-NULL rows, one class
CREATE TABLE empty_t (x float8, label text);
SELECT try($$SELECT bpnn_train('empty_t', 'label')$$);
INSERT INTO empty_t VALUES (NULL, 'a'), (1, NULL);
SELECT try($$SELECT bpnn_train('empty_t', 'label')$$);
INSERT INTO empty_t VALUES (1, 'a'), (2, 'a');
SELECT try($$SELECT bpnn_train('empty_t', 'label')$$);
-- NaN and infinities in features and labels
CREATE TABLE nans (x float8, y float8, label float8);
INSERT INTO nans VALUES (1, 2, 0), (2, 3, 1), (3, 'NaN', 0);
SELECT try($$SELECT bpnn_train('nans', 'label')$$);
UPDATE nans SET y = 'Infinity' WHERE x = 3;
SELECT try($$SELECT bpnn_train('nans', 'label')$$);
UPDATE nans SET y = 1e300 WHERE x = 3;
SELECT try($$SELECT bpnn_train('nans', 'label')$$);
UPDATE nans SET y = 4, label = 'NaN' WHERE x = 3;
SELECT try($$SELECT bpnn_train('nans', 'label')$$);
CREATE TABLE ragged (a float8[], label int);
INSERT INTO ragged VALUES ('{1,2}', 0), ('{1,2,3}', 1);
SELECT try($$SELECT bpnn_train('ragged', 'label')$$);
CREATE TABLE empties (a float8[], label int);
INSERT INTO empties VALUES ('{}', 0), ('{}', 1);
SELECT try($$SELECT bpnn_train('empties', 'label')$$);
-- absurd parameters
SELECT try($$SELECT bpnn_train('iris', 'label', epochs => 0)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', epochs => -5)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', epochs => 2000000000)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', hidden => '{0}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', hidden => '{-3}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', hidden => '{8,NULL}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', hidden => '{1,1,1,1,1,1,1,1,1}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', hidden => '{1000000,1000000}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', hidden => '{{4}}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', learning_rate => 0)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', learning_rate => 'NaN')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', learning_rate => 'Infinity')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', momentum => 1)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', momentum => -0.1)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', batch_size => -1)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', init_range => 0)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', activation => 'swish')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', activation => 'linear')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', normalization => 'log')$$);
-- a learning rate far too high on raw inputs diverges: an error, not a broken model
SELECT try($$SELECT bpnn_train('iris', 'label', normalization => 'none', activation => 'relu',
                  learning_rate => 1000, init_range => 100, batch_size => 1, epochs => 50)$$);
-- predicting with the wrong number of features, or non-finite ones
CREATE TABLE err_model AS SELECT bpnn_train('iris', 'label', epochs => 5) AS m;
SELECT try($$SELECT bpnn_predict((SELECT m FROM err_model), ARRAY[1, 2, 3])$$);
SELECT try($$SELECT bpnn_predict((SELECT m FROM err_model), ARRAY[1, 2, 3, 4, 5])$$);
SELECT try($$SELECT bpnn_predict((SELECT m FROM err_model), '{}'::float8[])$$);
SELECT try($$SELECT bpnn_predict((SELECT m FROM err_model), ARRAY[1, 2, 3, 'NaN']::float8[])$$);
SELECT try($$SELECT bpnn_predict_proba((SELECT m FROM err_model), ARRAY[1, 2, 'Infinity', 4]::float8[])$$);
-- within float4, but not once normalized (the fuzzer found these made NaN inputs)
SELECT try($$SELECT bpnn_predict_proba((SELECT m FROM err_model), ARRAY[3.3e38, 3.3e38, -3.3e38, 3.3e38])$$);
-- a 2x2 array is refused, not read as 4 features in row-major order
SELECT try($$SELECT bpnn_predict((SELECT m FROM err_model), ARRAY[[5.1, 3.5], [1.4, 0.2]])$$);
-- the session is still usable
SELECT try($$SELECT bpnn_predict((SELECT m FROM err_model), ARRAY[5.1, 3.5, 1.4, 0.2])$$);

-- the full reports, with their details and hints
SELECT bpnn_train('empty_t', 'label');
SELECT bpnn_train('iris', 'label', hidden => '{1000000,1000000}');
SELECT bpnn_predict(m, ARRAY[1, 2, 3]) FROM err_model;
-- the options beyond Jiang 2020
SELECT try($$SELECT bpnn_train('iris', 'label', loss => 'hinge')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', optimizer => 'sgd2')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', weight_decay => -1)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', validation_fraction => 1)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', validation_fraction => 0.001)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', patience => 0)$$);
SELECT try($$SELECT bpnn_train('iris', 'label', class_weights => 'heavy')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', class_weights => '[1, 2]')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', class_weights => '{"rose": 2}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', class_weights => '{"setosa": 0}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', class_weights => '{"setosa": "2"}')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', loss => NULL)$$);
-- errors leave no memory behind: the backend's contexts do not grow over
-- many failed trainings (each builds a training context before failing)
CREATE TEMP TABLE mem AS SELECT sum(total_bytes) AS bytes FROM pg_backend_memory_contexts;
SELECT count(*) FILTER (WHERE try($$SELECT bpnn_train('nans', 'label')$$) LIKE '22003%') AS failed,
       count(*) FILTER (WHERE try($$SELECT bpnn_train('iris', 'label', epochs => 5, learning_rate => 1000, normalization => 'none', activation => 'relu', init_range => 100, batch_size => 1)$$) LIKE '22003%') AS diverged
FROM generate_series(1, 30);
SELECT (SELECT sum(total_bytes) FROM pg_backend_memory_contexts) - bytes < 1024 * 1024 AS no_growth FROM mem;
