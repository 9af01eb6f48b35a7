-- Training as an aggregate that learns: bpnn_train_epoch (serial against a
-- hand-driven loop of gradient steps, parallel against serial), its
-- bpnn_train_state type (exact text and binary forms, checked on entry),
-- and its misuse.
-- Uses iris and digits_pixels (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/digits_pixels.sql
\set ECHO all

CREATE TABLE ta_flowers AS
SELECT (row_number() OVER (ORDER BY n) - 1)::int AS i,
       ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm]::float8[] AS f, label
FROM iris_cv;
SELECT bpnn_train('iris', 'label', hidden => '{8}', epochs => 1) AS m0 \gset
SELECT (bpnn_evaluate(:'m0', 'iris', 'label')->>'accuracy')::float8 AS acc0 \gset

-- serial (an ordered aggregate), batches of 10 rows, a buffer of one batch
-- (so the shuffle only reorders rows within a batch), no momentum: one
-- epoch is 15 plain gradient steps, which a loop of bpnn_gradient and
-- bpnn_apply_gradient over the same batches takes by hand
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.5, 0, 10, 'momentum', 0, 1, 10 ORDER BY i) AS agg FROM ta_flowers \gset
CREATE FUNCTION pg_temp.by_hand(m bpnn_model) RETURNS bpnn_model LANGUAGE plpgsql AS $$
BEGIN
	FOR k IN 0..14 LOOP
		m := bpnn_apply_gradient(m, (SELECT bpnn_gradient(m, f, label::text) FROM ta_flowers WHERE i / 10 = k), 0.5);
	END LOOP;
	RETURN m;
END $$;
SELECT pg_temp.by_hand(:'m0') AS hand \gset
-- float4 weights, summed in other orders: probabilities agree to 1e-5
SELECT max(abs(a - b)) < 1e-5 AS serial_equals_hand_loop,
       bool_or(abs(a - c) > 1e-3) AS the_epoch_moved_the_model
FROM ta_flowers, unnest(bpnn_predict_proba(:'agg', f), bpnn_predict_proba(:'hand', f),
                     bpnn_predict_proba(:'m0', f)) u(a, b, c);
-- what the epoch saw
SELECT bpnn_info(:'agg')->'training'->>'rows_used' AS rows_used,
       bpnn_classes(:'agg') = bpnn_classes(:'m0') AS same_classes;

-- the same options and seed give the same model; another seed another one
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 16, 'momentum', 0, 1, 64 ORDER BY i)::text
     = bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 16, 'momentum', 0, 1, 64 ORDER BY i)::text AS repeatable,
       bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 16, 'momentum', 0, 1, 64 ORDER BY i)::text
    <> bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 16, 'momentum', 0, 2, 64 ORDER BY i)::text AS seeded
FROM ta_flowers;

-- a table stored sorted by label learns when the buffer holds every class:
-- five epochs of mini-batches, momentum and Adam, each beating the start
CREATE FUNCTION pg_temp.epochs(m bpnn_model, opt text, rate float8, n int) RETURNS bpnn_model
LANGUAGE plpgsql AS $$
BEGIN
	FOR e IN 1..n LOOP
		m := (SELECT bpnn_train_epoch(m, f, label::text, rate, 0.7, 16, opt, 0, e, 150 ORDER BY i) FROM ta_flowers);
	END LOOP;
	RETURN m;
END $$;
SELECT (bpnn_evaluate(pg_temp.epochs(:'m0', 'momentum', 0.2, 5), 'iris', 'label')->>'accuracy')::float8 > :acc0 + 0.1 AS momentum_learns,
       (bpnn_evaluate(pg_temp.epochs(:'m0', 'adam', 0.01, 5), 'iris', 'label')->>'accuracy')::float8 > :acc0 + 0.1 AS adam_learns;

-- parallel query: each worker trains its own copy, the leader averages
-- them; the result differs from serial (other rows per partial), but
-- learns as well to within a tolerance
CREATE TABLE ta_many_flowers AS SELECT g, ta_flowers.* FROM generate_series(1, 100) g, ta_flowers ORDER BY g, i;
ANALYZE ta_many_flowers;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 32, 'momentum', 0, 1, 1024) FROM ta_many_flowers;
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 32, 'momentum', 0, 1, 1024) AS parallel_m
FROM ta_many_flowers \gset
SET max_parallel_workers_per_gather = 0;
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 32, 'momentum', 0, 1, 1024) AS serial_m
FROM ta_many_flowers \gset
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SELECT (bpnn_evaluate(:'serial_m', 'iris', 'label')->>'accuracy')::float8 > 0.9 AS serial_learns,
       abs((bpnn_evaluate(:'parallel_m', 'iris', 'label')->>'accuracy')::float8
           - (bpnn_evaluate(:'serial_m', 'iris', 'label')->>'accuracy')::float8) <= 0.05 AS parallel_within_5_points,
       bpnn_info(:'parallel_m')->'training'->>'rows_used' AS parallel_rows;

-- the state: an aggregate any user may build on the transition function
CREATE AGGREGATE pg_temp.epoch_state(bpnn_model, float8[], text, float8, float8, int4, text, float8, int8, int4) (
	SFUNC = bpnn_train_epoch_transfn, STYPE = bpnn_train_state);
SELECT pg_temp.epoch_state(:'m0', f, label::text, 0.2, 0.7, 16, 'adam', 0, 1, 64 ORDER BY i) AS s
FROM ta_flowers \gset
SELECT pg_temp.epoch_state(:'m0', f, label::text, 0.2, 0.7, 16, 'adam', 0, 1, 64 ORDER BY i) AS s_half
FROM ta_flowers WHERE i < 75 \gset
-- exact text and binary forms
SELECT :'s'::bpnn_train_state::text = :'s' AS text_round_trip;
CREATE TABLE ta_states (s bpnn_train_state);
INSERT INTO ta_states VALUES (:'s');
\copy ta_states TO 'results/train_states.bin' WITH (FORMAT binary)
\copy ta_states FROM 'results/train_states.bin' WITH (FORMAT binary)
SELECT count(DISTINCT s::text) AS distinct_states, count(*) FROM ta_states;
-- the final function turns a state into the model, as the aggregate does
SELECT bpnn_train_epoch_finalfn(:'s')::text
     = (SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 16, 'adam', 0, 1, 64 ORDER BY i) FROM ta_flowers)::text
       AS final_of_state_is_the_aggregate;
-- averaging ta_states with the combine function, as a user-made aggregate may
CREATE AGGREGATE pg_temp.average(bpnn_train_state) (SFUNC = bpnn_train_epoch_combinefn, STYPE = bpnn_train_state);
SELECT bpnn_info(bpnn_train_epoch_finalfn(pg_temp.average(s)))->'training'->>'rows_used' AS averaged_rows
FROM (VALUES (:'s'::bpnn_train_state), (:'s_half')) v(s);

-- bad ta_states: every function that reads one checks it
SELECT 'xyz'::bpnn_train_state;
SELECT '42505347'::bpnn_train_state;
SELECT left(:'s', 400)::bpnn_train_state;
SELECT (:'s' || '00')::bpnn_train_state;
SELECT overlay(:'s' placing '0002' from 9)::bpnn_train_state;              -- format version 2
SELECT overlay(:'s' placing '05' from 17)::bpnn_train_state;               -- unknown optimizer
SELECT overlay(:'s' placing '0000000000000001' from 25)::bpnn_train_state; -- names another model
SELECT overlay(:'s' placing 'ffffffffffffffff' from 57)::bpnn_train_state; -- negative row count
SELECT overlay(:'s' placing '7ff8000000000000' from 137)::bpnn_train_state; -- NaN learning rate
SELECT overlay(:'s' placing '7fc00000' from 209)::bpnn_train_state;        -- a NaN weight

-- misuse
SELECT bpnn_train_epoch_transfn(NULL, :'m0', ARRAY[1, 2, 3, 4]::float8[], 'setosa', 0.2, 0.7, 16, 'momentum', 0, 1, 64);
SELECT bpnn_train_epoch_combinefn(:'s', :'s');
SELECT bpnn_train_epoch(NULL::bpnn_model, f, label::text, 0.2, 0.7, 16, 'momentum', 0, 1, 64) FROM ta_flowers;
SELECT bpnn_train_epoch(:'m0', f, 'rose', 0.2, 0.7, 16, 'momentum', 0, 1, 64) FROM ta_flowers;
SELECT bpnn_train_epoch(:'m0', f[1:3], label::text, 0.2, 0.7, 16, 'momentum', 0, 1, 64) FROM ta_flowers;
SELECT bpnn_train_epoch(:'m0', f, label::text, 0, 0.7, 16, 'momentum', 0, 1, 64) FROM ta_flowers;
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 1, 16, 'momentum', 0, 1, 64) FROM ta_flowers;
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 0, 'momentum', 0, 1, 64) FROM ta_flowers;
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 16, 'nesterov', 0, 1, 64) FROM ta_flowers;
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 16, 'momentum', -1, 1, 64) FROM ta_flowers;
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 16, 'momentum', 0, 1, 8) FROM ta_flowers;
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 16, 'momentum', 0, NULL, 64) FROM ta_flowers;
SET bpnn.memory_limit = '64kB';
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2, 0.7, 16, 'momentum', 0, 1, 100000) FROM ta_flowers;
RESET bpnn.memory_limit;
SELECT bpnn_train_epoch(m, f, label::text, 0.2, 0.7, 16, 'momentum', 0, 1, 64)
FROM ta_flowers, (VALUES (:'m0'::bpnn_model), (:'agg'::bpnn_model)) v(m);
SELECT bpnn_train_epoch(:'m0', f, label::text, 0.2 + i / 100.0, 0.7, 16, 'momentum', 0, 1, 64) FROM ta_flowers;
-- a finished state takes no more rows (an initial value from a user-made aggregate)
CREATE AGGREGATE pg_temp.from_state(bpnn_model, float8[], text, float8, float8, int4, text, float8, int8, int4) (
	SFUNC = bpnn_train_epoch_transfn, STYPE = bpnn_train_state, INITCOND = :'s');
SELECT pg_temp.from_state(:'m0', f, label::text, 0.2, 0.7, 16, 'adam', 0, 1, 64) FROM ta_flowers;
-- ta_states of two models do not average
SELECT pg_temp.average(s)
FROM (SELECT pg_temp.epoch_state(m, f, label::text, 0.2, 0.7, 16, 'adam', 0, 1, 64) s
      FROM ta_flowers, (VALUES (:'m0'::bpnn_model), (:'agg'::bpnn_model)) v(m) GROUP BY m::text) t;
-- rows without a label or with a NULL feature are skipped; none left: NULL
SELECT bpnn_train_epoch(:'m0', NULL::float8[], label::text, 0.2, 0.7, 16, 'momentum', 0, 1, 64) IS NULL AS no_rows
FROM ta_flowers;

-- streaming bpnn_train runs one bpnn_train_epoch scan per epoch when
-- batch_size > 0: it learns as in memory (same defaults and epochs), also
-- from a copy sorted by label, though a buffer (736 of the 1,797 rows
-- here) holds a few classes at a time: half of it waits for later rounds.
-- In memory in one process: parallel workers would average shards' models
-- (sql/parallel_train.sql), a different model for each planned number
CREATE TABLE ta_sorted_pixels AS SELECT * FROM digits_pixels ORDER BY label;
SET bpnn.max_parallel_workers = 0;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 10) AS in_memory \gset
RESET bpnn.max_parallel_workers;
SET bpnn.memory_limit = '400kB';
SET client_min_messages = warning;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 10) AS streamed \gset
SELECT bpnn_train('ta_sorted_pixels', 'label', hidden => '{16}', epochs => 10) AS streamed_sorted \gset
RESET client_min_messages;
RESET bpnn.memory_limit;
SELECT bpnn_info(:'streamed')->'training'->>'batch_size' AS streamed_batch_size,
       abs((bpnn_info(:'streamed')->'training'->>'train_accuracy')::float8
           - (bpnn_info(:'in_memory')->'training'->>'train_accuracy')::float8) <= 0.02 AS stream_within_2_points,
       abs((bpnn_info(:'streamed_sorted')->'training'->>'train_accuracy')::float8
           - (bpnn_info(:'in_memory')->'training'->>'train_accuracy')::float8) <= 0.02 AS sorted_within_2_points;

DROP TABLE ta_flowers, ta_many_flowers, ta_states, ta_sorted_pixels;

-- The models bpnn_gradient and bpnn_train_epoch are given are decoded once
-- and kept for the transaction (model_cache.c: Citus calls a transition
-- function through a new FmgrInfo on every row), the last 4 of each,
-- recognized by all their bytes.  Six models of one shape, each in a
-- statement (a transaction) of its own, then all in one query (six call
-- sites, more models than are kept) and one after the other in one query
-- (a correlated subquery): the same results.
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE kept_models AS
SELECT i, bpnn_train('iris', 'label', hidden => '{3}', epochs => i) AS m FROM generate_series(1, 6) i;
CREATE TEMP TABLE kept_alone (i int, g text, e text);
SELECT format('INSERT INTO kept_alone SELECT %s, bpnn_gradient(m, ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label::text)::text, '
              'bpnn_train_epoch(m, ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label::text, 0.2, 0.7, 16, ''momentum'', 0, 1, 64)::text '
              'FROM iris, kept_models WHERE i = %s', i, i)
FROM generate_series(1, 6) i \gexec
WITH k AS (SELECT array_agg(m ORDER BY i) AS a FROM kept_models),
     f AS (SELECT ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm] AS x, label::text AS l FROM iris)
SELECT ARRAY[bpnn_gradient(a[1], x, l)::text, bpnn_gradient(a[2], x, l)::text, bpnn_gradient(a[3], x, l)::text,
             bpnn_gradient(a[4], x, l)::text, bpnn_gradient(a[5], x, l)::text, bpnn_gradient(a[6], x, l)::text]
       = (SELECT array_agg(g ORDER BY i) FROM kept_alone) AS six_call_sites
FROM k, f;
SELECT bool_and(k.g = a.g AND k.e = a.e) AS one_after_another, count(*)
FROM (SELECT i,
             (SELECT bpnn_gradient(m.m, ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label::text)::text FROM iris) AS g,
             (SELECT bpnn_train_epoch(m.m, ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label::text,
                                      0.2, 0.7, 16, 'momentum', 0, 1, 64)::text FROM iris) AS e
      FROM kept_models m) k
JOIN kept_alone a USING (i);
DROP TABLE kept_models, kept_alone;
RESET max_parallel_workers_per_gather;
