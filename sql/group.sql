-- bpnn_fit: one model per group, trained on the rows of any query, with
-- bpnn_train's arguments as jsonb options.

-- '{}' means bpnn_train's defaults: the same model, weight for weight
SELECT bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label, '{}') AS fitted
FROM iris \gset
SELECT bpnn_train('iris', 'label') AS trained \gset
SELECT max(abs(a - b)) AS max_difference,
       bpnn_info(:'fitted')->'features' AS features,
       bpnn_info(:'fitted')->'training'->>'source' AS source
FROM iris, unnest(bpnn_predict_proba(:'fitted', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]),
                  bpnn_predict_proba(:'trained', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm])) u(a, b);
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
