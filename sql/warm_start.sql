-- Warm start (issue 15, item 1): bpnn_train(..., init_model => m) and
-- bpnn_fit's "init_model" option continue a model.  With keep_state =>
-- true the model keeps the trainer's state (format 5), and continuing for
-- k epochs gives, bit for bit, the model of n + k epochs in one call: the
-- same code runs the same arithmetic in the same order on any CPU, so the
-- comparisons below are exact (the model's text without its training
-- time).  Then: continuing on new rows, bpnn_info's epochs, every misuse,
-- the validation of a user-supplied state, and models of formats 1 to 4.
-- Uses iris and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/try.sql
\set ECHO all

-- a model's text without its training time: equal means equal bit for bit
CREATE FUNCTION pg_temp.bits(m bpnn_model) RETURNS text LANGUAGE sql AS
$$ SELECT md5((m::text::jsonb #- '{training,seconds}')::text) $$;
-- an error with its SQLSTATE, detail and hint
CREATE FUNCTION pg_temp.fails(statement text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	detail text;
	hint text;
BEGIN
	EXECUTE statement;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN SQLSTATE || ': ' || SQLERRM || coalesce(E'\nDETAIL: ' || nullif(detail, ''), '')
		|| coalesce(E'\nHINT: ' || nullif(hint, ''), '');
END
$f$;

-- ---------- n + k epochs in one call = n, then k more ----------
-- momentum, mini-batches of 32 (the default)
SELECT bpnn_train('iris', 'label', hidden => '{8}', epochs => 20, keep_state => true) AS m20 \gset
SELECT pg_temp.bits(bpnn_train('iris', 'label', hidden => '{8}', epochs => 30, keep_state => true)) =
       pg_temp.bits(bpnn_train('iris', 'label', epochs => 10, init_model => :'m20')) AS momentum_batches;
-- in three calls
SELECT pg_temp.bits(bpnn_train('iris', 'label', hidden => '{8}', epochs => 30, keep_state => true)) =
       pg_temp.bits(bpnn_train('iris', 'label', epochs => 5, init_model =>
                    bpnn_train('iris', 'label', epochs => 5, init_model => :'m20'))) AS momentum_three_calls;
-- momentum, the whole data set per step
SELECT pg_temp.bits(bpnn_train('iris', 'label', hidden => '{8}', batch_size => 0, epochs => 30, keep_state => true)) =
       pg_temp.bits(bpnn_train('iris', 'label', epochs => 10, init_model =>
                    bpnn_train('iris', 'label', hidden => '{8}', batch_size => 0, epochs => 20, keep_state => true)))
       AS momentum_full_batch;
-- Adam (its moments and step count), mini-batches and the whole set
SELECT pg_temp.bits(bpnn_train('iris', 'label', hidden => '{8}', optimizer => 'adam', learning_rate => 0.01,
                               batch_size => 16, epochs => 30, keep_state => true)) =
       pg_temp.bits(bpnn_train('iris', 'label', epochs => 10, init_model =>
                    bpnn_train('iris', 'label', hidden => '{8}', optimizer => 'adam', learning_rate => 0.01,
                               batch_size => 16, epochs => 20, keep_state => true))) AS adam_batches;
SELECT pg_temp.bits(bpnn_train('iris', 'label', hidden => '{8}', optimizer => 'adam', learning_rate => 0.01,
                               batch_size => 0, epochs => 30, keep_state => true)) =
       pg_temp.bits(bpnn_train('iris', 'label', epochs => 10, init_model =>
                    bpnn_train('iris', 'label', hidden => '{8}', optimizer => 'adam', learning_rate => 0.01,
                               batch_size => 0, epochs => 20, keep_state => true))) AS adam_full_batch;
-- early stopping: its record and the last epoch's weights carry over
SELECT pg_temp.bits(bpnn_train('iris', 'label', hidden => '{3}', optimizer => 'adam', learning_rate => 1.5,
                               batch_size => 16, validation_fraction => 0.2, patience => 50, epochs => 40,
                               keep_state => true)) =
       pg_temp.bits(bpnn_train('iris', 'label', epochs => 25, init_model =>
                    bpnn_train('iris', 'label', hidden => '{3}', optimizer => 'adam', learning_rate => 1.5,
                               batch_size => 16, validation_fraction => 0.2, patience => 50, epochs => 15,
                               keep_state => true))) AS early_stopping;
-- a model early stopping had stopped stays stopped, as in one call
\set VERBOSITY terse
SELECT bpnn_train('iris', 'label', learning_rate => 1.5, batch_size => 8, validation_fraction => 0.2,
                  patience => 2, epochs => 50, keep_state => true) AS stopped \gset
SELECT pg_temp.bits(bpnn_train('iris', 'label', learning_rate => 1.5, batch_size => 8, validation_fraction => 0.2,
                               patience => 2, epochs => 60, keep_state => true)) =
       pg_temp.bits(bpnn_train('iris', 'label', epochs => 10, init_model => :'stopped')) AS stopped_stays_stopped,
       (bpnn_info(:'stopped')->'training'->>'epochs_run')::int < 50 AS it_had_stopped;
-- a larger patience trains on
SELECT (bpnn_info(m)->'training'->>'epochs_run')::int > (bpnn_info(:'stopped')->'training'->>'epochs_run')::int
       AS larger_patience_trains_on
FROM (SELECT bpnn_train('iris', 'label', epochs => 10, patience => 1000, init_model => :'stopped') m) s;
\set VERBOSITY default
-- a regressor (its target scaling is the model's)
SELECT pg_temp.bits(bpnn_train('iris', 'petal_width_cm', task => 'regression', hidden => '{4}', epochs => 30,
                               keep_state => true)) =
       pg_temp.bits(bpnn_train('iris', 'petal_width_cm', epochs => 10, init_model =>
                    bpnn_train('iris', 'petal_width_cm', task => 'regression', hidden => '{4}', epochs => 20,
                               keep_state => true))) AS regressor;
-- imputed NULLs, a text column, balanced class weights: all the model's
\set VERBOSITY terse
CREATE TEMP TABLE iris_nulls AS
SELECT *, CASE WHEN sepal_length_cm > 6 THEN NULL ELSE 'x' || (petal_width_cm > 1)::text END AS t FROM iris;
UPDATE iris_nulls SET sepal_width_cm = NULL WHERE petal_length_cm > 5.5;
SELECT pg_temp.bits(bpnn_train('iris_nulls', 'label', epochs => 30, missing => 'impute', class_weights => 'balanced',
                               keep_state => true)) =
       pg_temp.bits(bpnn_train('iris_nulls', 'label', epochs => 10, init_model =>
                    bpnn_train('iris_nulls', 'label', epochs => 20, missing => 'impute', class_weights => 'balanced',
                               keep_state => true))) AS imputed_text_weighted;
\set VERBOSITY default
-- bpnn_fit: the option "init_model" (the model's document), per group
SELECT pg_temp.bits(bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                             '{"hidden": [8], "epochs": 30, "keep_state": true}')) =
       pg_temp.bits(bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                             jsonb_build_object('epochs', 10, 'init_model', (
                               SELECT bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm],
                                               label, '{"hidden": [8], "epochs": 20, "keep_state": true}')::jsonb
                               FROM iris)))) AS bpnn_fit_continues
FROM iris;
-- the same under a parallel plan (bpnn_fit's partial states carry the options)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label, '{}') FROM iris_cv;
SELECT pg_temp.bits(bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                             '{"hidden": [8], "epochs": 30, "keep_state": true}')) =
       pg_temp.bits(bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                             jsonb_build_object('epochs', 10, 'init_model', (
                               SELECT bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm],
                                               label, '{"hidden": [8], "epochs": 20, "keep_state": true}')::jsonb
                               FROM iris_cv)))) AS parallel_bpnn_fit_continues
FROM iris_cv;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- or its text, as a JSON string
SELECT bpnn_info(bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                          jsonb_build_object('epochs', 5, 'init_model', (
                            SELECT bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm],
                                            label, '{"hidden": [8], "epochs": 20}')::text FROM iris))))
         ->'training'->'epochs_run' AS text_form_continues
FROM iris;

-- ---------- what the continued model records ----------
SELECT bpnn_train('iris', 'label', epochs => 10, learning_rate => 0.1, init_model => :'m20') AS m30 \gset
SELECT i->'layers' AS layers, i->'training'->'epochs' AS epochs, i->'training'->'epochs_run' AS epochs_run,
       i->'training'->'loss_summary'->'epochs' AS losses, i->'training'->'learning_rate' AS learning_rate,
       i->'training'->'momentum' AS momentum, i->'trainer_state' AS trainer_state
FROM (SELECT bpnn_info(:'m30') i) s;
-- its first 20 losses are the model's it continued
SELECT (:'m30'::jsonb->'training'->'loss_per_epoch') - 29 - 28 - 27 - 26 - 25 - 24 - 23 - 22 - 21 - 20
       = :'m20'::jsonb->'training'->'loss_per_epoch' AS earlier_losses_kept;

-- ---------- on new rows ----------
CREATE TEMP TABLE iris_even AS SELECT * FROM iris_cv WHERE n % 2 = 0;
CREATE TEMP TABLE iris_odd AS SELECT * FROM iris_cv WHERE n % 2 = 1;
SELECT bpnn_train('iris_even', 'label', features => '{sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm}',
                  epochs => 100, keep_state => true) AS even \gset
SELECT bpnn_train('iris_odd', 'label', epochs => 100, init_model => :'even') AS both \gset
SELECT (bpnn_info(:'both')->'training'->>'rows_used')::int AS rows_used,
       split_part(bpnn_info(:'both')->'training'->>'source', '.', 2) AS source,
       bpnn_info(:'both')->'training'->'epochs_run' AS epochs_run,
       bpnn_info(:'both')->'normalization' = bpnn_info(:'even')->'normalization' AS same_scaler,
       bpnn_classes(:'both') = bpnn_classes(:'even') AS same_classes,
       avg((bpnn_predict(:'both', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]) = label)::int) > 0.9
         AS accurate
FROM iris;
-- rows of some of the classes only
CREATE TEMP VIEW iris_no_setosa AS SELECT * FROM iris WHERE label <> 'setosa';
SELECT bpnn_classes(bpnn_train('iris_no_setosa', 'label', epochs => 5, init_model => :'even')) AS classes;

-- rows with some of a text column's values only: their one-hot inputs are
-- put where the model has them, so the loss training reports for its final
-- weights is the loss bpnn_evaluate (which reads rows as bpnn_predict does)
-- finds (both sum float4 outputs in float8: 1e-6 apart at most)
CREATE TEMP VIEW iris_size AS
SELECT sepal_length_cm, CASE WHEN petal_length_cm < 2 THEN 'small' WHEN petal_length_cm < 5 THEN 'medium' ELSE 'large' END AS size,
       label FROM iris;
SELECT bpnn_train('iris_size', 'label', epochs => 5, keep_state => true) AS sized \gset
CREATE TEMP VIEW iris_size_two AS SELECT * FROM iris_size WHERE size <> 'medium';
SELECT bpnn_train('iris_size_two', 'label', epochs => 5, init_model => :'sized') AS two \gset
SELECT bpnn_info(:'two')->'columns' = bpnn_info(:'sized')->'columns' AS same_columns,
       bpnn_info(:'two')->'training'->'rows_used' AS rows_used,
       abs((bpnn_info(:'two')->'training'->>'final_loss')::float8 - (e->>'loss')::float8)
         <= 1e-6 * (e->>'loss')::float8 AS loss_as_evaluated
FROM bpnn_evaluate(:'two', 'iris_size_two', 'label') e;

-- ---------- misuse ----------
-- settings that fix the network: the model's, or an error
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', hidden => '{16}', init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', activation => 'relu', init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', loss => 'cross_entropy', init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', optimizer => 'adam', init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', normalization => 'minmax', init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', missing => 'impute', init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', seed => 7, init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', validation_fraction => 0.1, init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', class_weights => 'balanced', init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', exclude => '{sepal_width_cm}', init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'petal_width_cm', task => 'regression', init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', keep_state => NULL)$$);
-- a new class
CREATE TEMP VIEW iris_new_class AS
SELECT sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm,
       CASE WHEN label = 'setosa' THEN 'arctica' ELSE label END AS label FROM iris;
SELECT pg_temp.fails($$SELECT bpnn_train('iris_new_class', 'label', init_model => '$$ || :'m20' || $$')$$);
-- the feature layout: a column missing, of another kind, another array width, other text values
CREATE TEMP VIEW iris_three AS SELECT sepal_length_cm, petal_length_cm, petal_width_cm, label FROM iris;
SELECT pg_temp.fails($$SELECT bpnn_train('iris_three', 'label', init_model => '$$ || :'m20' || $$')$$);
SELECT pg_temp.fails($$SELECT bpnn_train('iris_three', 'label', features => '{petal_length_cm,sepal_length_cm}', init_model => '$$ || :'m20' || $$')$$);
CREATE TEMP VIEW iris_text AS
SELECT sepal_length_cm, CASE WHEN sepal_width_cm > 3 THEN 'wide' ELSE 'narrow' END AS sepal_width_cm,
       petal_length_cm, petal_width_cm, label FROM iris;
SELECT pg_temp.fails($$SELECT bpnn_train('iris_text', 'label', init_model => '$$ || :'m20' || $$')$$);
CREATE TEMP VIEW iris_arrays AS
SELECT ARRAY[sepal_length_cm, sepal_width_cm] AS sepal, ARRAY[petal_length_cm, petal_width_cm] AS petal, label FROM iris;
SELECT bpnn_train('iris_arrays', 'label', epochs => 5) AS arrays \gset
CREATE TEMP VIEW iris_arrays3 AS SELECT sepal || 1.0::float8 AS sepal, petal, label FROM iris_arrays;
SELECT pg_temp.fails($$SELECT bpnn_train('iris_arrays3', 'label', init_model => '$$ || :'arrays' || $$')$$);
CREATE TEMP VIEW iris_size_huge AS
SELECT sepal_length_cm, CASE WHEN size = 'large' THEN 'huge' ELSE size END AS size, label FROM iris_size;
SELECT pg_temp.fails($$SELECT bpnn_train('iris_size_huge', 'label', init_model => '$$ || :'sized' || $$')$$);
-- a bpnn_fit group is not a bpnn_train table
SELECT pg_temp.fails($$SELECT bpnn_fit(ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label,
                                       jsonb_build_object('init_model', '$$ || :'m20' || $$'::bpnn_model::jsonb)) FROM iris$$);
SELECT pg_temp.fails($$SELECT bpnn_fit(ARRAY[sepal_length_cm], label, '{"init_model": 5}') FROM iris$$);
SELECT pg_temp.fails($$SELECT bpnn_fit(ARRAY[sepal_length_cm], label, '{"keep_state": "yes"}') FROM iris$$);
-- more epochs than a model may have
SELECT pg_temp.fails($$SELECT bpnn_train('iris', 'label', epochs => 2, init_model => '$$ ||
       jsonb_set(:'m20'::jsonb, '{training,epochs}', '999999')::text || $$')$$);
-- a model's own settings must be within bpnn_train's ranges too
SELECT try($$SELECT bpnn_train('iris', 'label', epochs => 1, init_model => '$$ ||
       jsonb_set(:'m20'::jsonb, '{training,momentum}', '1.5')::text || $$')$$);
-- a warm start trains in memory: it does not stream
SET bpnn.memory_limit = 64;
CREATE TEMP TABLE iris_many AS SELECT i.* FROM iris i, generate_series(1, 50);
SELECT try($$SELECT bpnn_train('iris_many', 'label', epochs => 1, init_model => '$$ || :'m20' || $$')$$);
RESET bpnn.memory_limit;

-- ---------- the trainer's state: stored, round trips, validated ----------
SELECT bpnn_train('iris', 'label', hidden => '{3}', optimizer => 'adam', learning_rate => 1.5,
                  batch_size => 16, validation_fraction => 0.2, patience => 50, epochs => 40,
                  keep_state => true) AS adam \gset
SELECT :'adam'::bpnn_model::text = :'adam' AS text_round_trip,
       (:'adam'::bpnn_model::bytea)::bpnn_model::text = :'adam' AS binary_round_trip,
       jsonb_object_keys(:'adam'::jsonb->'trainer_state') AS keys
ORDER BY keys;
-- last weights are kept exactly when early stopping kept an earlier epoch
SELECT (m->'trainer_state' ? 'last') =
       ((m->'training'->>'best_epoch')::int < (m->'training'->>'epochs_run')::int) AS last_iff_earlier_best
FROM (SELECT :'adam'::jsonb AS m) s;
-- its size: 9 bytes (step, flag) and the weights' size once for momentum,
-- twice for Adam, once more with last weights
SELECT octet_length(bpnn_model_send(m)) - octet_length(bpnn_model_send(bpnn_drop_state(m))) =
       9 + 4 * ((4 + 1) * 8 + (8 + 1) * 3) AS momentum_state_size
FROM (VALUES (:'m20'::bpnn_model)) v(m);
SELECT octet_length(bpnn_model_send(m)) - octet_length(bpnn_model_send(bpnn_drop_state(m))) =
       9 + 4 * ((4 + 1) * 3 + (3 + 1) * 3) * (2 + (m::jsonb->'trainer_state' ? 'last')::int) AS adam_state_size
FROM (VALUES (:'adam'::bpnn_model)) v(m);
-- bpnn_drop_state: the same predictions, no state; continuing it says so
SELECT bpnn_predict_proba(bpnn_drop_state(:'m20'), ARRAY[5.1, 3.5, 1.4, 0.2]) =
       bpnn_predict_proba(:'m20', ARRAY[5.1, 3.5, 1.4, 0.2]) AS same_proba,
       bpnn_info(bpnn_drop_state(:'m20')) ? 'trainer_state' AS has_state,
       bpnn_drop_state(bpnn_drop_state(:'m20'))::text = bpnn_drop_state(:'m20')::text AS idempotent;
SELECT bpnn_info(bpnn_train('iris', 'label', epochs => 5, init_model => bpnn_drop_state(:'m20')))
         ->'training'->'epochs_run' AS epochs_run_without_state;
-- a state that does not fit the model is refused (text input validates as recv does)
SELECT pg_temp.fails(format('SELECT %L::bpnn_model', jsonb_set(:'m20'::jsonb, '{trainer_state,first}', '[1, 2]')));
SELECT pg_temp.fails(format('SELECT %L::bpnn_model', jsonb_set(:'m20'::jsonb, '{trainer_state,second}',
                                                    :'m20'::jsonb->'trainer_state'->'first')));
SELECT pg_temp.fails(format('SELECT %L::bpnn_model', jsonb_set(:'m20'::jsonb, '{trainer_state,step}', '3')));
SELECT pg_temp.fails(format('SELECT %L::bpnn_model', jsonb_set(:'m20'::jsonb, '{trainer_state,last}',
                                                    :'m20'::jsonb->'trainer_state'->'first')));
SELECT pg_temp.fails(format('SELECT %L::bpnn_model', jsonb_set(:'adam'::jsonb, '{trainer_state,second,0}', '-1')));
SELECT pg_temp.fails(format('SELECT %L::bpnn_model', jsonb_set(:'adam'::jsonb, '{trainer_state,step}', '-1')));
SELECT pg_temp.fails(format('SELECT %L::bpnn_model', :'adam'::jsonb #- '{trainer_state,second}'));
SELECT pg_temp.fails(format('SELECT %L::bpnn_model', jsonb_set(:'m20'::jsonb, '{trainer_state,first,0}', '1e39')));
-- bytes changed inside the stored state fail the checksum
SELECT try(format('SELECT %L::bytea::bpnn_model',
                  overlay(:'m20'::bpnn_model::bytea placing '\xffff'::bytea
                          from octet_length(:'m20'::bpnn_model::bytea) - 3)));

-- ---------- models of formats 1 to 4 still load, and continue without state ----------
\set VERBOSITY terse
SELECT v AS format_version,
       bpnn_info(m)->'training'->'epochs_run' AS epochs_run,
       bpnn_info(bpnn_train('iris', 'label', epochs => 5, init_model => m))->'training'->'epochs_run' AS continued
FROM generate_series(1, 4) v,
     LATERAL (SELECT (CASE WHEN v = 1 THEN (:'m20'::jsonb #- '{training,workers}') ELSE :'m20'::jsonb END
                      - 'trainer_state' || jsonb_build_object('format_version', v))::text::bpnn_model AS m) s
ORDER BY v;
-- a format-4 document's trainer_state is not read
SELECT jsonb_set(:'m20'::jsonb, '{format_version}', '4')::text::bpnn_model::jsonb ? 'trainer_state' AS read_as_format_4;
\set VERBOSITY default
