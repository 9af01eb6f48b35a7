-- Training as table scans: the bpnn_gradient aggregate (serial and parallel),
-- its bpnn_state value, bpnn_feature_stats, and bpnn_train streaming a table
-- larger than bpnn.memory_limit.
-- Uses iris, pima and digits_pixels (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/pima.sql
\i test/fixtures/digits_pixels.sql
\set ECHO all

SELECT bpnn_train('iris', 'label', hidden => '{8}', epochs => 20) AS model \gset

-- the gradient of a model over its training rows: the loss is the model's final loss
SELECT bpnn_gradient(:'model', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label) AS g
FROM iris \gset
SELECT bpnn_state_info(:'g') - 'model_checksum' - 'loss' - 'gradient_norm' AS info,
       abs((bpnn_state_info(:'g')->>'loss')::float8
           - (bpnn_info(:'model')->'training'->>'final_loss')::float8) < 1e-6 AS loss_is_final_loss,
       array_length(bpnn_state_gradient(:'g'), 1) = 4 * 8 + 8 + 8 * 3 + 3 AS one_per_weight;

-- a NULL feature skips the row (the model does not impute); NULL rows are skipped
SELECT bpnn_state_info(bpnn_gradient(:'model', f, l))->>'skipped' AS skipped,
       bpnn_state_info(bpnn_gradient(:'model', f, l))->>'rows' AS rows
FROM (VALUES (ARRAY[5.1, 3.5, 1.4, 0.2]::float8[], 'setosa'), (ARRAY[5.1, NULL, 1.4, 0.2], 'setosa'),
             (NULL, 'setosa'), (ARRAY[6.3, 3.3, 6.0, 2.5], NULL)) v(f, l);
-- labels of any type are read as label::text
SELECT bpnn_state_info(bpnn_gradient((SELECT bpnn_train('pima', 'label', hidden => '{4}', epochs => 2)),
                                     ARRAY[pregnant, glucose, pressure, triceps, insulin, mass, pedigree, age], label))->>'rows' AS int_labels
FROM pima;

-- the mean gradient is minus the error-signal sums over the rows: one step
-- of gradient descent lowers the loss
SELECT bpnn_apply_gradient(:'model', :'g', 0.5) AS stepped \gset
SELECT (bpnn_state_info(bpnn_gradient(:'stepped', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label))->>'loss')::float8
       < (bpnn_state_info(:'g')->>'loss')::float8 AS step_lowers_loss
FROM iris;

-- the text form (the binary form in hex) and the binary form round-trip exactly
SELECT :'g'::bpnn_state::text = :'g' AS text_round_trip;
CREATE TABLE states (g bpnn_state);
INSERT INTO states VALUES (:'g');
\copy states TO 'results/states.bin' WITH (FORMAT binary)
\copy states FROM 'results/states.bin' WITH (FORMAT binary)
SELECT count(DISTINCT g::text) AS distinct_states, count(*) FROM states;

-- bad states and misuse
SELECT 'xyz'::bpnn_state;
SELECT 'zz'::bpnn_state;
SELECT '42504753'::bpnn_state;
SELECT left(:'g', 120)::bpnn_state;
SELECT (:'g' || '00')::bpnn_state;
SELECT overlay(:'g' placing '0002' from 9)::bpnn_state;                   -- format version 2
SELECT overlay(:'g' placing '00fd' from 13)::bpnn_state;                  -- reserved field not zero (found by test/fuzz/fuzz_state)
SELECT overlay(:'g' placing 'ffffffffffffffff' from 33)::bpnn_state;      -- negative row count
SELECT overlay(:'g' placing '7ff8000000000000' from 81)::bpnn_state;      -- NaN loss
SELECT bpnn_apply_gradient(:'stepped', :'g');
SELECT bpnn_apply_gradient(:'model', :'g', 0);
SELECT bpnn_gradient(:'model', ARRAY[1, 2, 3]::float8[], 'setosa'::text);
SELECT bpnn_gradient(:'model', ARRAY[1, 2, 3, 4]::float8[], 'rose'::text);
SELECT bpnn_gradient(:'model', ARRAY[1, 2, 'NaN', 4]::float8[], 'setosa'::text);
SELECT bpnn_gradient(NULL::bpnn_model, ARRAY[1, 2, 3, 4]::float8[], 'setosa'::text);
SELECT bpnn_gradient(m, ARRAY[1, 2, 3, 4]::float8[], 'setosa'::text)
FROM (VALUES (:'model'::bpnn_model), (:'stepped')) v(m);
SELECT bpnn_gradient_transfn(NULL, :'model', ARRAY[1, 2, 3, 4]::float8[], 'setosa'::text);

-- parallel query: partial states per worker, combined by the leader; the
-- result equals the serial one to float tolerance
CREATE TABLE many_flowers AS SELECT f.* FROM generate_series(1, 200) i, iris f;
ANALYZE many_flowers;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT bpnn_gradient(:'model', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label)
FROM many_flowers;
SELECT bpnn_gradient(:'model', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label) AS parallel_g
FROM many_flowers \gset
EXPLAIN (COSTS OFF)
SELECT bpnn_feature_stats(ARRAY[sepal_length_cm, sepal_width_cm], true) FROM many_flowers;
SELECT bpnn_feature_stats(ARRAY[sepal_length_cm, sepal_width_cm], true) AS parallel_stats FROM many_flowers \gset
SET max_parallel_workers_per_gather = 0;
SELECT bpnn_gradient(:'model', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label) AS serial_g
FROM many_flowers \gset
SELECT bpnn_feature_stats(ARRAY[sepal_length_cm, sepal_width_cm], true) AS serial_stats FROM many_flowers \gset
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
-- The parallel and the serial sums differ only in the order of their float
-- additions, and which rows share an addition depends on which worker read
-- them, so they are compared with the bound that this arithmetic gives, not
-- for equality:
-- * the gradient: the kernel adds a chunk's rows (at most 128,
--   BPNN_STATE_CHUNK_ROWS) in float32 and the chunks in float64.  A float32
--   sum of k terms is off by at most (k - 1) 2^-24 times the sum of their
--   absolute values, so the two mean gradients differ by at most
--   2 * 127 * 2^-24 * mean|t| per weight (float64's share is a million times
--   smaller), where t is one row's term: measured here from each iris row's
--   own gradient (many_flowers is iris 200 times);
-- * the loss, a float64 sum of 30,000 non-negative row losses: relative
--   2 * 30000 * 2^-53 (6.7e-12), allowed 1e-11;
-- * the statistics: counts, minima and maxima exactly; means and M2 by
--   Welford's update and Chan's combination in float64, relative error at most
--   about n 2^-53 times the features' condition (mean^2 / variance, below 50
--   for these), allowed 1e-9.
-- The bound still catches a sum that misses one chunk of rows.
CREATE TEMP TABLE iris_row_terms AS
SELECT k, avg(abs(t)) AS mean_abs_term
FROM (SELECT bpnn_state_gradient(bpnn_gradient(:'model', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label)) AS g
      FROM (SELECT row_number() OVER () AS i, * FROM iris) r GROUP BY i) per_row,
     unnest(g) WITH ORDINALITY u(t, k)
GROUP BY k;
CREATE FUNCTION pg_temp.within_sum_bound(a float8[], b float8[]) RETURNS boolean
LANGUAGE sql AS $$
	SELECT bool_and(abs(p - s) <= 2 * 127 * 2.0 ^ -24 * mean_abs_term)
	FROM unnest(a, b) WITH ORDINALITY u(p, s, k) JOIN iris_row_terms USING (k) $$;
SELECT bpnn_state_info(:'parallel_g')->'rows' AS parallel_rows,
       bpnn_state_info(:'serial_g')->'rows' AS serial_rows,
       abs((bpnn_state_info(:'parallel_g')->>'loss')::float8 - (bpnn_state_info(:'serial_g')->>'loss')::float8)
           <= 1e-11 * (bpnn_state_info(:'serial_g')->>'loss')::float8 AS same_loss,
       pg_temp.within_sum_bound(bpnn_state_gradient(:'parallel_g'), bpnn_state_gradient(:'serial_g')) AS same_gradient,
       (SELECT bool_and(CASE WHEN k <= 2 OR (k - 3) % 5 < 3 THEN p = s ELSE abs(p - s) <= 1e-9 * abs(s) END)
        FROM unnest(:'parallel_stats'::float8[], :'serial_stats'::float8[]) WITH ORDINALITY u(p, s, k)) AS same_stats,
       pg_temp.within_sum_bound(bpnn_state_gradient(:'parallel_g'),
                                (SELECT bpnn_state_gradient(bpnn_gradient(:'model', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label))
                                 FROM (SELECT * FROM many_flowers LIMIT 30000 - 128) short)) AS catches_a_missing_chunk;
-- 200 copies of iris have iris's statistics
SELECT (:'serial_stats'::float8[])[1:5] AS rows_skipped_count_min_max;

-- streaming: a table beyond bpnn.memory_limit is trained by one aggregate
-- scan per epoch, and gives the in-memory full-batch model (same seed) to
-- float tolerance; digits_pixels holds 460 kB of float4.  In memory in one
-- process: parallel workers average shards' models (sql/parallel_train.sql)
SET bpnn.max_parallel_workers = 0;
SET bpnn.memory_limit = '256kB';
SELECT bpnn_train('digits_pixels', 'label', hidden => '{8}', epochs => 30, batch_size => 0) AS streamed \gset
SELECT bpnn_train('digits_pixels', 'label', hidden => '{8}', epochs => 30, batch_size => 0,
                  normalization => 'decimal', optimizer => 'adam', learning_rate => 0.01,
                  class_weights => 'balanced') AS streamed_adam \gset
RESET bpnn.memory_limit;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{8}', epochs => 30, batch_size => 0) AS in_memory \gset
SELECT bpnn_train('digits_pixels', 'label', hidden => '{8}', epochs => 30, batch_size => 0,
                  normalization => 'decimal', optimizer => 'adam', learning_rate => 0.01,
                  class_weights => 'balanced') AS in_memory_adam \gset
SELECT s.name,
       (bpnn_info(s.streamed)->'training'->>'rows_used') AS rows_used,
       abs((bpnn_info(s.streamed)->'training'->>'final_loss')::float8
           - (bpnn_info(s.in_memory)->'training'->>'final_loss')::float8) < 1e-5 AS same_loss,
       (bpnn_info(s.streamed)->'training'->>'train_accuracy') = (bpnn_info(s.in_memory)->'training'->>'train_accuracy') AS same_accuracy,
       (SELECT max(abs(a - b)) < 1e-4 FROM digits_pixels d,
               unnest(bpnn_predict_proba(s.streamed, d.pixels::float8[]), bpnn_predict_proba(s.in_memory, d.pixels::float8[])) u(a, b)) AS same_probabilities,
       bpnn_info(s.streamed)->'normalization'->>'method' AS normalization
FROM (VALUES ('zscore, momentum', :'streamed'::bpnn_model, :'in_memory'::bpnn_model),
             ('decimal, adam, balanced', :'streamed_adam', :'in_memory_adam')) s(name, streamed, in_memory);
RESET bpnn.max_parallel_workers;

-- streaming skips rows with a NULL label or feature, or imputes them
CREATE TABLE holes AS
SELECT CASE WHEN i % 10 = 0 THEN NULL ELSE pixels END AS pixels,
       CASE WHEN i % 7 = 0 THEN NULL ELSE pixels[20] END AS p20,
       CASE WHEN i % 11 = 0 THEN NULL ELSE label END AS label
FROM (SELECT row_number() OVER () AS i, * FROM digits_pixels) d;
SET bpnn.memory_limit = '256kB';
SET client_min_messages = warning;
SELECT bpnn_info(bpnn_train('holes', 'label', hidden => '{4}', epochs => 3))->'training'->>'rows_used' AS skip_used,
       bpnn_info(bpnn_train('holes', 'label', hidden => '{4}', epochs => 3))->'training'->>'rows_skipped' AS skip_skipped,
       bpnn_info(bpnn_train('holes', 'label', hidden => '{4}', epochs => 3, missing => 'impute'))->'training'->>'rows_used' AS impute_used;
RESET client_min_messages;
SELECT count(*) FILTER (WHERE label IS NOT NULL AND pixels IS NOT NULL AND p20 IS NOT NULL) AS complete,
       count(*) FILTER (WHERE label IS NOT NULL) AS labelled
FROM holes;
-- what streaming cannot do: text features, NaN
CREATE TABLE texty AS SELECT pixels, label::text AS tag, label FROM digits_pixels;
SELECT bpnn_train('texty', 'label', hidden => '{4}', epochs => 3);
CREATE TABLE nan_pixels AS SELECT pixels, label FROM digits_pixels UNION ALL SELECT '{NaN}', 1;
UPDATE nan_pixels SET pixels = array_fill('NaN'::float4, ARRAY[64]) WHERE pixels = '{NaN}';
SELECT bpnn_train('nan_pixels', 'label', hidden => '{4}', epochs => 3);
SET client_min_messages = warning;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{4}', epochs => 20, learning_rate => 1000,
                  normalization => 'none', activation => 'relu', init_range => 100);
RESET client_min_messages;
RESET bpnn.memory_limit;
