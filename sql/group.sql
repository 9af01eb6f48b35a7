-- bpnn_fit: one model per group, trained on the rows of any query, with
-- bpnn_train's arguments as jsonb options.
-- Uses iris and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/try.sql
\set ECHO all

-- a model without its training time, to compare bit for bit
CREATE FUNCTION pg_temp.model_bits(m bpnn_model) RETURNS jsonb LANGUAGE sql AS
$$ SELECT (m::text::jsonb - 'training') || jsonb_build_object('training', (m::text::jsonb->'training') - 'seconds') $$;

-- '{}' means bpnn_train's defaults.  bpnn_fit trains on its rows in a
-- canonical order (by their values as float4, then by class), with the
-- statistics of those float4 values: it gives bpnn_train's model, weight
-- for weight, on a table that holds the same rows in that order as float4
-- values.  iris's rows are not in that order (nor float4 values), bpnn_fit
-- is given them as they are.
CREATE TABLE iris_canonical AS
SELECT sepal_length_cm::float4::float8 AS sepal_length_cm, sepal_width_cm::float4::float8 AS sepal_width_cm,
       petal_length_cm::float4::float8 AS petal_length_cm, petal_width_cm::float4::float8 AS petal_width_cm, label
FROM iris
ORDER BY ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]::float4[], label COLLATE "C";
SELECT bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label, '{}') AS fitted
FROM iris \gset
SELECT bpnn_train('iris_canonical', 'label') AS trained \gset
SELECT pg_temp.model_bits(:'fitted')->'weights' = pg_temp.model_bits(:'trained')->'weights' AS same_weights,
       pg_temp.model_bits(:'fitted')->'normalization' = pg_temp.model_bits(:'trained')->'normalization' AS same_scalers,
       pg_temp.model_bits(:'fitted')->'training'->'loss_per_epoch' = pg_temp.model_bits(:'trained')->'training'->'loss_per_epoch' AS same_losses,
       bpnn_classes(:'fitted') = bpnn_classes(:'trained') AS same_classes,
       bpnn_info(:'fitted')->'features' AS features,
       bpnn_info(:'fitted')->'training'->>'source' AS source;
-- the order the rows arrive in does not matter
SELECT pg_temp.model_bits(bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                                   '{"epochs": 20}' ORDER BY sepal_width_cm DESC, label)) =
       pg_temp.model_bits(bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                                   '{"epochs": 20}' ORDER BY petal_length_cm, label DESC)) AS order_free
FROM iris;
DROP TABLE iris_canonical;
SELECT bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                '{"hidden": [16, 8], "epochs": 50, "learning_rate": 0.1, "momentum": 0.5, "batch_size": 16,
                  "activation": "tanh", "normalization": "minmax", "init_range": 0.2, "seed": 7,
                  "loss": "cross_entropy", "optimizer": "adam", "weight_decay": 0.0001,
                  "validation_fraction": 0.2, "patience": 5, "class_weights": {"setosa": 2}, "missing": "impute"}') AS options_model
FROM iris \gset
SELECT bpnn_info(:'options_model')->'layers' AS layers,
       bpnn_info(:'options_model')->>'activation' AS activation,
       bpnn_info(:'options_model')->>'loss' AS loss,
       bpnn_info(:'options_model')->'training'->>'optimizer' AS optimizer,
       bpnn_info(:'options_model')->'normalization'->>'method' AS normalization,
       bpnn_info(:'options_model')->'training'->'class_weights' AS class_weights,
       (bpnn_info(:'options_model')->'training'->>'validation_rows')::int AS validation_rows;
SELECT bpnn_info(bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label, '{"hidden": 4}'))->'layers' AS one_layer
FROM iris;

-- one model per group, each trained on its own rows only (a query, a filter)
SELECT fold % 2 AS half, count(*) AS rows,
       bpnn_info(bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                          '{"hidden": [8], "epochs": 100}'))->'training'->>'rows_used' AS rows_used,
       (bpnn_info(bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                           '{"hidden": [8], "epochs": 100}'))->'training'->>'train_accuracy')::float8 > 0.9 AS fits
FROM iris_cv WHERE fold < 8 GROUP BY 1 ORDER BY 1;
-- scored per group with the group's own model
CREATE TABLE group_models AS
SELECT fold % 2 AS half, bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                                  '{"hidden": [8], "epochs": 100}') AS model
FROM iris_cv GROUP BY 1;
SELECT g.half, avg((bpnn_predict(g.model, ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]) = label)::int) > 0.9 AS accurate
FROM iris_cv i JOIN group_models g ON g.half = i.fold % 2 GROUP BY 1 ORDER BY 1;

-- NULLs: skipped, or imputed with the group's means
SELECT bpnn_info(bpnn_fit(f, l, '{"hidden": [2], "epochs": 5}'))->'training'->>'rows_skipped' AS skipped,
       bpnn_info(bpnn_fit(f, l, '{"hidden": [2], "epochs": 5, "missing": "impute"}'))->'training'->>'rows_used' AS imputed_used
FROM (VALUES (ARRAY[1, 2]::float8[], 'a'), (ARRAY[2, NULL], 'b'), (ARRAY[3, 1], 'b'), (NULL, 'a'), (ARRAY[1, 1], NULL)) v(f, l);
-- no rows: no model
SELECT bpnn_fit(ARRAY[1]::float8[], 'a'::text, '{}') IS NULL AS no_model FROM iris WHERE false;

-- bad options and rows
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, '{"epoch": 5}') FROM (VALUES ('a'), ('b')) v(l);
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, '{"features": ["x"]}') FROM (VALUES ('a'), ('b')) v(l);
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, '{"epochs": 2.5}') FROM (VALUES ('a'), ('b')) v(l);
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, '{"epochs": "many"}') FROM (VALUES ('a'), ('b')) v(l);
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, '{"epochs": 0}') FROM (VALUES ('a'), ('b')) v(l);
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, '{"hidden": "big"}') FROM (VALUES ('a'), ('b')) v(l);
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, '{"hidden": [0]}') FROM (VALUES ('a'), ('b')) v(l);
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, '{"learning_rate": null}') FROM (VALUES ('a'), ('b')) v(l);
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, '{"activation": "sine"}') FROM (VALUES ('a'), ('b')) v(l);
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, '[1]') FROM (VALUES ('a'), ('b')) v(l);
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, NULL) FROM (VALUES ('a'), ('b')) v(l);
SELECT bpnn_fit(ARRAY[1, 2]::float8[], l, '{}') FROM (VALUES ('a'), ('a')) v(l);
SELECT bpnn_fit(f, 'a'::text, '{}') FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[1, 2, 3])) v(f);
SELECT bpnn_fit(ARRAY[1, 'Infinity']::float8[], 'a'::text, '{}');
SELECT bpnn_fit(f, l, '{}') FROM (VALUES (NULL::float8[], 'a'), (ARRAY[1, NULL], 'b')) v(f, l);

-- ---------------------------------------------------------------------------
-- Per group: a group that cannot be trained gets a NULL model and a WARNING
-- naming its size and the reason; every other group gets its model
-- ---------------------------------------------------------------------------
-- ROLLUP(label): each label's group has one class, the total has three
-- (sorted grouping here and below: the WARNINGs come in the groups' order)
SET enable_hashagg = off;
SELECT label, count(*) AS rows,
       bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                '{"hidden": [4], "epochs": 20}') IS NOT NULL AS has_model
FROM iris GROUP BY ROLLUP(label) ORDER BY label NULLS LAST;
-- too few rows to hold out validation rows (1), every row skipped (2),
-- trainable (3)
SELECT g, count(*) AS rows,
       bpnn_fit(f, l, '{"hidden": [2], "epochs": 5, "validation_fraction": 0.2}') IS NOT NULL AS has_model
FROM (VALUES (1, ARRAY[1, 2]::float8[], 'a'), (1, ARRAY[2, 1], 'b'),
             (2, NULL, 'a'), (2, ARRAY[1, NULL], 'b'), (2, ARRAY[3, 3], NULL)) v(g, f, l)
GROUP BY g
UNION ALL
SELECT 3, count(*), bpnn_fit(ARRAY[i, i % 3]::float8[], (i % 2)::text,
                             '{"hidden": [2], "epochs": 5, "validation_fraction": 0.2}') IS NOT NULL
FROM generate_series(1, 12) i
ORDER BY g;
RESET enable_hashagg;
-- the caller's mistakes stay errors, for every group
SELECT g, bpnn_fit(ARRAY[g, 1]::float8[], l, '{"epochs": 0}')
FROM (VALUES (1, 'a'), (1, 'b'), (2, 'a')) v(g, l) GROUP BY g;
-- the options are the same on every row of a group (equal as jsonb)
SELECT bpnn_fit(ARRAY[n, 1]::float8[], l, jsonb_build_object('epochs', n))
FROM (VALUES ('a', 1), ('b', 2)) v(l, n);
SELECT bpnn_info(bpnn_fit(ARRAY[n, 1]::float8[], l, o))->'training'->>'epochs' AS epochs
FROM (VALUES ('a', 1, '{"epochs": 2}'::jsonb), ('b', 2, '{"epochs": 2.0}')) v(l, n, o);

-- ---------------------------------------------------------------------------
-- In parallel: each worker packs the rows it reads (Partial Aggregate), the
-- leader appends them (Finalize Aggregate) and trains.  The models equal
-- the serial plan's bit for bit, however many workers start: the final
-- function trains on the rows in their canonical order.
-- ---------------------------------------------------------------------------
CREATE TABLE fit_parallel AS
SELECT g % 3 AS grp, ARRAY[sin(g), cos(g * 0.7), (g % 17) / 4.0] AS x,
       CASE WHEN sin(g * 1.3) > 0.3 THEN 'up' WHEN sin(g * 1.3) < -0.3 THEN 'down' ELSE 'flat' END AS label
FROM generate_series(1, 30000) g;
ANALYZE fit_parallel;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE fit_serial AS
SELECT grp, bpnn_fit(x, label, '{"hidden": [4], "epochs": 3}') AS m FROM fit_parallel GROUP BY GROUPING SETS ((grp), ());
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT bpnn_fit(x, label, '{"hidden": [4], "epochs": 3}') FROM fit_parallel;
EXPLAIN (COSTS OFF) SELECT grp, bpnn_fit(x, label, '{"hidden": [4], "epochs": 3}') FROM fit_parallel GROUP BY grp;
SELECT pg_temp.model_bits(bpnn_fit(x, label, '{"hidden": [4], "epochs": 3}')) =
       (SELECT pg_temp.model_bits(m) FROM fit_serial WHERE grp IS NULL) AS same_as_serial
FROM fit_parallel;
SELECT p.grp, pg_temp.model_bits(p.m) = pg_temp.model_bits(s.m) AS same_as_serial
FROM (SELECT grp, bpnn_fit(x, label, '{"hidden": [4], "epochs": 3}') AS m FROM fit_parallel GROUP BY grp) p
JOIN fit_serial s ON s.grp = p.grp ORDER BY p.grp;
-- bpnn.memory_limit holds for the rows of all workers together
SET bpnn.memory_limit = '256kB';
\set VERBOSITY terse
SELECT bpnn_fit(x, label, '{"hidden": [4], "epochs": 3}') FROM fit_parallel;
\set VERBOSITY default
RESET bpnn.memory_limit;
RESET enable_hashagg;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET max_parallel_workers_per_gather;
DROP TABLE fit_parallel, fit_serial;

-- The final function trains on the state's rows in place, with no copy
-- (FINALFUNC_MODIFY = READ_WRITE, as core's ordered-set aggregates; the
-- peak memory it saves is measured in test/t/006_limits.pl).  PostgreSQL
-- then refuses bpnn_fit as a window function, which trained once per row
SELECT DISTINCT a.aggfinalmodify FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.proname = 'bpnn_fit';
SELECT try($$SELECT bpnn_fit(ARRAY[sepal_length_cm], label, '{}') OVER () FROM iris$$);
-- a declaration that says READ_ONLY (bpnn 0.3.0's) is refused before any training
CREATE FUNCTION pg_temp.fit_text_transfn(internal, float8[], text, jsonb) RETURNS internal
	AS '$libdir/bpnn', 'bpnn_fit_transfn_text' LANGUAGE C STABLE;
CREATE AGGREGATE pg_temp.read_only_fit(float8[], text, jsonb) (
	SFUNC = pg_temp.fit_text_transfn, STYPE = internal, FINALFUNC = bpnn_fit_finalfn);
SELECT try($$SELECT pg_temp.read_only_fit(ARRAY[sepal_length_cm], label, '{}') OVER () FROM iris$$);
SELECT bpnn_classes(pg_temp.read_only_fit(ARRAY[sepal_length_cm], label, '{"epochs": 1}')) FROM iris;
-- a hash aggregate rescanned with its hash table kept (here in a subquery
-- run once per outer row) asks for each group's model again, after the
-- rows are gone: the model kept in the state.  An untrainable group warns
-- each time it is asked.
SET enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT s, (SELECT array_agg(pg_temp.model_bits(m) ORDER BY parity)
           FROM (SELECT n % 2 AS parity, bpnn_fit(ARRAY[sepal_length_cm, petal_width_cm], label, '{"epochs": 5}') AS m
                 FROM iris_cv GROUP BY n % 2) f WHERE s > 0) AS models
FROM generate_series(1, 2) s;
SELECT count(*) AS asked, count(DISTINCT models) AS distinct_answers,
       bool_and(cardinality(models) = 2 AND array_position(models, NULL) IS NULL) AS two_models_each_time
FROM (SELECT s, (SELECT array_agg(pg_temp.model_bits(m) ORDER BY parity)
                 FROM (SELECT n % 2 AS parity, bpnn_fit(ARRAY[sepal_length_cm, petal_width_cm], label, '{"epochs": 5}') AS m
                       FROM iris_cv GROUP BY n % 2) f WHERE s > 0) AS models
      FROM generate_series(1, 2) s) q;
\set VERBOSITY terse
SELECT s, (SELECT count(m) FROM (SELECT label, bpnn_fit(ARRAY[sepal_length_cm], label, '{"epochs": 1}') AS m
                                 FROM iris_cv WHERE label = 'setosa' GROUP BY label) f WHERE s > 0) AS models
FROM generate_series(1, 2) s;
\set VERBOSITY default
RESET enable_sort;
