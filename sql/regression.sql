-- Regression (issue 14): bpnn_train(..., task => 'regression') on a numeric
-- label, the stored target scaling and its exact round trips,
-- bpnn_predict_value in every form, bpnn_evaluate and bpnn_cross_validate
-- of a regressor, and the errors for misuses.  Floats are compared with
-- tolerances: figures of a trained network depend on the CPU's rounding
-- only through the kernel, which is bit-identical across clones, but the
-- suite does not rely on it.
-- Uses concrete, diabetes, iris and try() (test/fixtures).
\set ECHO none
\i test/fixtures/concrete.sql
\i test/fixtures/diabetes.sql
\i test/fixtures/iris.sql
\i test/fixtures/try.sql
\set ECHO all

-- concrete (float8 target in MPa), the defaults but fewer epochs
CREATE TABLE reg_models AS
SELECT 'concrete' AS name, bpnn_train('concrete', 'compressive_strength', task => 'regression', epochs => 100) AS model;
SELECT model AS m FROM reg_models WHERE name = 'concrete' \gset

-- the model: a linear output named after the label, the target's mean and
-- population standard deviation over the training rows
SELECT bpnn_info(:'m')->>'task' AS task, bpnn_info(:'m')->'layers' AS layers,
       bpnn_info(:'m')->'outputs' AS outputs, bpnn_info(:'m')->>'output_activation' AS output_activation,
       bpnn_info(:'m')->>'loss' AS loss, bpnn_info(:'m') ? 'classes' AS has_classes;
SELECT abs((bpnn_info(:'m')->'target'->'shift'->>0)::float8 - avg(compressive_strength)) < 1e-9 AS shift_is_mean,
       abs((bpnn_info(:'m')->'target'->'scale'->>0)::float8 - stddev_pop(compressive_strength)) < 1e-9 AS scale_is_stddev_pop
FROM concrete;

-- exact round trips of the target scaling: text form and binary form
SELECT (:'m'::text::bpnn_model)::bytea = :'m'::bpnn_model::bytea AS text_round_trip,
       (:'m'::bpnn_model::bytea::bpnn_model)::text = :'m' AS binary_round_trip,
       (:'m'::bpnn_model::jsonb::bpnn_model)::bytea = :'m'::bpnn_model::bytea AS jsonb_round_trip,
       (:'m'::jsonb->'target'->'shift'->>0)::float8 = (bpnn_info(:'m')->'target'->'shift'->>0)::float8 AS same_shift;
-- the binary form is format version 5
SELECT substr(bpnn_model_send(:'m'), 1, 8) AS header;

-- predictions come back in the label's units, the same in every form
SELECT count(*) AS rows,
       bool_and(bpnn_predict_value(:'m', c) = bpnn_predict_value(:'m', to_jsonb(c))) AS record_equals_jsonb,
       bool_and(bpnn_predict_value(:'m', c) = bpnn_predict_value(:'m', ARRAY[cement, blast_furnace_slag, fly_ash, water,
              superplasticizer, coarse_aggregate, fine_aggregate, age])) AS record_equals_array,
       bool_and(bpnn_predict_value(:'m', c) = bpnn_predict_value(:'m', to_jsonb(c)::text)) AS record_equals_text,
       bool_and(bpnn_predict_value(:'m', c) = bpnn_predict_value(:'m', ARRAY[cement, blast_furnace_slag, fly_ash, water,
              superplasticizer, coarse_aggregate, fine_aggregate, age]::text[])) AS record_equals_text_array,
       -- in MPa: the mean prediction near the mean strength (35.8)
       abs(avg(bpnn_predict_value(:'m', c)) - avg(compressive_strength)) < 2 AS mean_in_label_units
FROM concrete c;
-- (the record forms STABLE, the others IMMUTABLE: sql/rows.sql says why)
SELECT provolatile, proisstrict, proparallel, count(*) AS overloads
FROM pg_proc WHERE proname = 'bpnn_predict_value' GROUP BY 1, 2, 3 ORDER BY 1;

-- bpnn_evaluate: RMSE, MAE, R² and the row counts, which agree with a
-- computation in SQL from bpnn_predict_value
SELECT bpnn_evaluate(:'m', 'concrete', 'compressive_strength') AS e \gset
SELECT :'e'::jsonb->>'task' AS task, (:'e'::jsonb->>'rows_used')::int AS rows_used,
       (:'e'::jsonb->>'rows_skipped')::int AS rows_skipped,
       (:'e'::jsonb->>'r2')::float8 BETWEEN 0.75 AND 1 AS r2_good,
       abs((:'e'::jsonb->>'rmse')::float8 - sqrt(avg((bpnn_predict_value(:'m', c) - compressive_strength) ^ 2))) < 1e-6 AS rmse_agrees,
       abs((:'e'::jsonb->>'mae')::float8 - avg(abs(bpnn_predict_value(:'m', c) - compressive_strength))) < 1e-6 AS mae_agrees,
       abs((:'e'::jsonb->>'r2')::float8 - (1 - sum((bpnn_predict_value(:'m', c) - compressive_strength) ^ 2) /
            sum((compressive_strength - (SELECT avg(compressive_strength) FROM concrete)) ^ 2))) < 1e-9 AS r2_agrees,
       abs((:'e'::jsonb->>'mse')::float8 - (:'e'::jsonb->>'rmse')::float8 ^ 2) < 1e-6 AS mse_is_rmse_squared
FROM concrete c;

-- bit-reproducibility: the same seed gives the same model (all but the
-- seconds it took)
CREATE FUNCTION pg_temp.bits(m bpnn_model) RETURNS jsonb LANGUAGE sql AS $$ SELECT m::jsonb #- '{training,seconds}' $$;
SELECT pg_temp.bits(bpnn_train('concrete', 'compressive_strength', task => 'regression', epochs => 5)) =
       pg_temp.bits(bpnn_train('concrete', 'compressive_strength', task => 'regression', epochs => 5)) AS same_bits,
       pg_temp.bits(bpnn_train('concrete', 'compressive_strength', task => 'regression', epochs => 5)) =
       pg_temp.bits(bpnn_train('concrete', 'compressive_strength', task => 'regression', epochs => 5, seed => 2)) AS seed_matters;

-- an integer label (diabetes), Adam, weight decay, early stopping on a
-- plain (unstratified) random share of the rows
SELECT bpnn_train('diabetes', 'progression', task => 'regression', optimizer => 'adam', learning_rate => 0.01,
                  weight_decay => 0.0001, validation_fraction => 0.2, patience => 5, epochs => 300) AS d \gset
SELECT bpnn_info(:'d')->'training'->>'validation_rows' AS validation_rows,
       bpnn_info(:'d')->'training'->>'rows_used' AS rows_used,
       (bpnn_info(:'d')->'training'->>'best_epoch')::int BETWEEN 1 AND 300 AS stopped_early_or_ran,
       (bpnn_info(:'d')->'training'->>'validation_loss')::float8 > 0 AS validation_loss,
       (bpnn_evaluate(:'d', 'diabetes', 'progression')->>'r2')::float8 BETWEEN 0.3 AND 1 AS r2_good;

-- every numeric label type, text features one-hot, NULL features imputed
CREATE TABLE reg_types AS
SELECT g, (g % 5)::float8 / 4 AS x, CASE WHEN g % 3 = 0 THEN 'a' WHEN g % 3 = 1 THEN 'b' END AS c,
       (10 * (g % 5) + CASE g % 3 WHEN 0 THEN 3 ELSE 0 END)::int2 AS y2,
       (10 * (g % 5) + CASE g % 3 WHEN 0 THEN 3 ELSE 0 END)::int8 AS y8,
       (10 * (g % 5) + CASE g % 3 WHEN 0 THEN 3 ELSE 0 END)::float4 AS y4,
       (10 * (g % 5) + CASE g % 3 WHEN 0 THEN 3 ELSE 0 END)::numeric AS yn
FROM generate_series(1, 300) g;
UPDATE reg_types SET x = NULL WHERE g % 50 = 7;
SELECT t AS label_type,
       bpnn_info(m)->'columns' AS columns,
       round((bpnn_info(m)->'target'->'shift'->>0)::numeric, 4) AS shift,
       (bpnn_evaluate(m, 'reg_types', t)->>'rmse')::float8 < 2 AS fits
FROM unnest(ARRAY['y2', 'y8', 'y4', 'yn']) t,
     LATERAL (SELECT bpnn_train('reg_types', t, features => '{x, c}', task => 'regression', missing => 'impute',
                                epochs => 200, activation => 'tanh')) AS s(m)
ORDER BY 1;

-- cross-validation: plain seeded k-fold; accuracy NULL, loss the mean
-- squared error in the label's units, rmse and r2 per fold
SELECT fold, train_rows, test_rows, accuracy IS NULL AS no_accuracy,
       abs(loss - rmse ^ 2) < 1e-6 * loss AS loss_is_mse, r2 BETWEEN 0 AND 1 AS r2_in_range
FROM bpnn_cross_validate('diabetes', 'progression', folds => 4, task => 'regression', epochs => 50)
ORDER BY fold;
SELECT count(*) AS same_folds_same_figures
FROM bpnn_cross_validate('diabetes', 'progression', folds => 3, task => 'regression', epochs => 5) a
JOIN bpnn_cross_validate('diabetes', 'progression', folds => 3, task => 'regression', epochs => 5) b
USING (fold) WHERE a.rmse = b.rmse AND a.r2 = b.r2;
-- a classifier's folds have no rmse or r2
SELECT bool_and(rmse IS NULL AND r2 IS NULL AND accuracy IS NOT NULL) AS classifier_columns
FROM bpnn_cross_validate('iris', 'label', folds => 3, epochs => 2);

-- several outputs: a float8[] label, one output per element, each
-- standardized on its own; bpnn_predict_values gives them all
CREATE TABLE reg_multi AS
SELECT cement, water, age, superplasticizer, ARRAY[compressive_strength, fine_aggregate] AS y FROM concrete;
SELECT bpnn_train('reg_multi', 'y', task => 'regression', epochs => 50) AS mm \gset
SELECT bpnn_info(:'mm')->'outputs' AS outputs, bpnn_info(:'mm')->'layers' AS layers,
       abs((bpnn_info(:'mm')->'target'->'shift'->>1)::float8 - avg(fine_aggregate)) < 1e-9 AS second_shift_is_mean,
       abs((bpnn_info(:'mm')->'target'->'scale'->>1)::float8 - stddev_pop(fine_aggregate)) < 1e-9 AS second_scale_is_stddev_pop
FROM concrete;
SELECT (:'mm'::text::bpnn_model)::bytea = :'mm'::bpnn_model::bytea AS text_round_trip;
SELECT count(*) AS rows,
       bool_and(array_length(bpnn_predict_values(:'mm', m), 1) = 2) AS two_values,
       bool_and(bpnn_predict_values(:'mm', m) = bpnn_predict_values(:'mm', to_jsonb(m))) AS record_equals_jsonb,
       abs(avg((bpnn_predict_values(:'mm', m))[2]) - avg(y[2])) < 20 AS second_in_label_units
FROM reg_multi m;
SELECT bpnn_evaluate(:'mm', 'reg_multi', 'y') AS em \gset
SELECT jsonb_array_length(:'em'::jsonb->'outputs') AS outputs,
       :'em'::jsonb->'outputs'->1->>'output' AS second,
       abs((:'em'::jsonb->>'mse')::float8 - ((:'em'::jsonb->'outputs'->0->>'mse')::float8 +
                                             (:'em'::jsonb->'outputs'->1->>'mse')::float8) / 2) < 1e-6 AS mse_is_the_mean,
       abs((:'em'::jsonb->'outputs'->1->>'rmse')::float8 -
           sqrt(avg(((bpnn_predict_values(:'mm', m))[2] - y[2]) ^ 2))) < 1e-6 AS second_rmse_agrees
FROM reg_multi m;
SELECT count(*) AS folds, bool_and(r2 IS NOT NULL AND accuracy IS NULL) AS regression_columns
FROM bpnn_cross_validate('reg_multi', 'y', folds => 3, task => 'regression', epochs => 5);
SELECT try($$SELECT bpnn_predict_value('$$ || :'mm' || $$'::bpnn_model, ARRAY[1,2,3,4]::float8[])$$);
-- the label must hold as many values as the model has outputs
SELECT try($$SELECT bpnn_evaluate('$$ || :'mm' || $$'::bpnn_model, 'concrete', 'compressive_strength')$$);
CREATE VIEW reg_concrete_pairs AS SELECT c.*, ARRAY[compressive_strength, fine_aggregate] AS y FROM concrete c;
SELECT try($$SELECT bpnn_evaluate('$$ || :'m' || $$'::bpnn_model, 'reg_concrete_pairs', 'y')$$);
UPDATE reg_multi SET y = ARRAY[1] WHERE age = 28 AND cement > 500;
SELECT try($$SELECT bpnn_train('reg_multi', 'y', task => 'regression')$$);
UPDATE reg_multi SET y = ARRAY[1, NULL] WHERE age = 28 AND cement > 500;
SELECT try($$SELECT bpnn_train('reg_multi', 'y', task => 'regression')$$);

-- misuses
SELECT bpnn_train('iris', 'label', epochs => 2) AS c \gset
SELECT try($$SELECT bpnn_predict('$$ || :'m' || $$'::bpnn_model, ARRAY[1,2,3,4,5,6,7,8]::float8[])$$);
SELECT try($$SELECT bpnn_predict_proba('$$ || :'m' || $$'::bpnn_model, ARRAY[1,2,3,4,5,6,7,8]::float8[])$$);
SELECT try($$SELECT bpnn_predict_value('$$ || :'c' || $$'::bpnn_model, ARRAY[1,2,3,4]::float8[])$$);
SELECT try($$SELECT * FROM bpnn_confusion('$$ || :'m' || $$'::bpnn_model, 'concrete', 'compressive_strength')$$);
SELECT try($$SELECT bpnn_train('concrete', 'compressive_strength', task => 'regresion')$$);
SELECT try($$SELECT bpnn_train('iris', 'label', task => 'regression')$$);
SELECT try($$SELECT bpnn_train('concrete', 'compressive_strength', task => 'regression', class_weights => 'balanced')$$);
SELECT try($$SELECT bpnn_train('concrete', 'compressive_strength', task => 'regression', max_classes => 5000)$$);
SELECT try($$SELECT bpnn_train('concrete', 'compressive_strength', task => 'regression', loss => 'cross_entropy')$$);
CREATE TABLE reg_nan AS SELECT g::float8 AS x, CASE WHEN g = 5 THEN 'NaN'::float8 ELSE g END AS y FROM generate_series(1, 10) g;
SELECT try($$SELECT bpnn_train('reg_nan', 'y', task => 'regression')$$);
-- a numeric label with more distinct values than max_classes: the hint names regression
SELECT bpnn_train('concrete', 'compressive_strength', max_classes => 10);
-- bpnn_fit per group: {"task": "regression"} trains on the rows in the
-- canonical order (by their values as float4, then by label), so it gives
-- bpnn_train's regressor, weight for weight, on a table holding the same
-- rows in that order as float4 values
CREATE TABLE diabetes_canonical AS
SELECT age::float4::float8 AS age, bmi::float4::float8 AS bmi, bp::float4::float8 AS bp, progression
FROM diabetes ORDER BY ARRAY[age, bmi, bp]::float4[], progression;
SELECT bpnn_fit(ARRAY[age, bmi, bp], progression, '{"task": "regression", "epochs": 30}') AS fitted FROM diabetes \gset
SELECT bpnn_train('diabetes_canonical', 'progression', task => 'regression', epochs => 30) AS trained \gset
SELECT pg_temp.bits(:'fitted')->'weights' = pg_temp.bits(:'trained')->'weights' AS same_weights,
       pg_temp.bits(:'fitted')->'target' = pg_temp.bits(:'trained')->'target' AS same_target,
       bpnn_info(:'fitted')->'outputs' AS outputs;
SELECT sex, (bpnn_info(m)->'training'->>'rows_used')::int AS rows_used,
       pg_temp.bits(m) = pg_temp.bits(m2) AS order_free
FROM (SELECT sex, bpnn_fit(ARRAY[age, bmi, bp], progression, '{"task": "regression", "epochs": 5}' ORDER BY bmi) AS m,
             bpnn_fit(ARRAY[age, bmi, bp], progression, '{"task": "regression", "epochs": 5}' ORDER BY bp DESC) AS m2
      FROM diabetes GROUP BY sex) g ORDER BY sex;
SELECT try($$SELECT bpnn_fit(ARRAY[x], y8::text, '{"task": "regression"}') FROM reg_types$$);
SELECT try($$SELECT bpnn_fit(ARRAY[x], y8, '{"task": "regression", "class_weights": "balanced"}') FROM reg_types$$);
-- the aggregates, streaming and parallel training take regressors of
-- several outputs too: sql/regression_multi.sql
-- a classifier's text form has no task: it reads as before
SELECT bpnn_info(:'c') ? 'task' AS classifier_has_task, (:'c'::bpnn_model::jsonb - 'format_version' || '{"format_version": 3}')::bpnn_model::text = :'c' AS reads_as_format_3;
