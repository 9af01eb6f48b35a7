-- Regressors (one output) through the table-scan paths (issue 14, item 4):
-- bpnn_gradient and bpnn_train_epoch read a regressor's label text as
-- float8 and standardize it with the model's target scaling; serial
-- against a forced parallel plan; the state's text round trip; bad labels;
-- and streaming bpnn_train past bpnn.memory_limit against training in
-- memory.  Floats are compared with tolerances (see each comment).
-- Uses concrete and try() (test/fixtures).
\set ECHO none
\i test/fixtures/concrete.sql
\i test/fixtures/try.sql
\set ECHO all

-- concrete four times over: 4,120 rows, 148 kB of float4, past a 64 kB
-- bpnn.memory_limit
CREATE TABLE rs_concrete AS SELECT c.* FROM generate_series(1, 4) i, concrete c;
ANALYZE rs_concrete;
\set f 'ARRAY[cement, blast_furnace_slag, fly_ash, water, superplasticizer, coarse_aggregate, fine_aggregate, age]'
SELECT bpnn_train('rs_concrete', 'compressive_strength', task => 'regression', hidden => '{16}', epochs => 40) AS m \gset

-- the gradient of a regressor over its training rows: the loss (1/2 the
-- squared error of the standardized target, summed) is the model's final
-- loss; float sums in another order: relative 1e-6
SELECT bpnn_gradient(:'m', :f, compressive_strength::text) AS g FROM concrete \gset
SELECT bpnn_state_info(:'g')->'rows' AS rows, bpnn_state_info(:'g')->'skipped' AS skipped,
       abs((bpnn_state_info(:'g')->>'loss')::float8 - (bpnn_info(:'m')->'training'->>'final_loss')::float8)
           <= 1e-6 * (bpnn_info(:'m')->'training'->>'final_loss')::float8 AS loss_is_final_loss,
       array_length(bpnn_state_gradient(:'g'), 1) = 8 * 16 + 16 + 16 + 1 AS one_per_weight;
-- a label of any number type, as its text: int, numeric and float4 labels
-- give the float8 label's sums when they hold the same values
SELECT bpnn_state_gradient(bpnn_gradient(:'m', ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[], '30'))
     = bpnn_state_gradient(bpnn_gradient(:'m', ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[], 30.0::numeric::text)) AS int_is_numeric,
       bpnn_state_gradient(bpnn_gradient(:'m', ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[], 2.5::float4::text))
     = bpnn_state_gradient(bpnn_gradient(:'m', ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[], '2.5')) AS float4_is_float8;
-- the text form round trips exactly
SELECT :'g'::bpnn_state::text = :'g' AS text_round_trip,
       bpnn_state_info(:'g'::bpnn_state::text::bpnn_state) = bpnn_state_info(:'g') AS same_info;
-- a step against the gradient lowers the loss
SELECT (bpnn_state_info(bpnn_gradient(bpnn_apply_gradient(:'m', :'g', 0.1), :f, compressive_strength::text))->>'loss')::float8
       < (bpnn_state_info(:'g')->>'loss')::float8 AS step_lowers_loss
FROM concrete;

-- bad labels: not a number, NaN and infinities, beyond the target
-- scaling in float4; a NULL label skips the row
SELECT try($$SELECT bpnn_gradient('$$ || :'m' || $$'::bpnn_model, ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[], 'abc')$$);
SELECT try($$SELECT bpnn_gradient('$$ || :'m' || $$'::bpnn_model, ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[], 'NaN')$$);
SELECT try($$SELECT bpnn_gradient('$$ || :'m' || $$'::bpnn_model, ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[], '-Infinity')$$);
SELECT try($$SELECT bpnn_gradient('$$ || :'m' || $$'::bpnn_model, ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[], '1e300')$$);
SELECT try($$SELECT bpnn_train_epoch('$$ || :'m' || $$'::bpnn_model, ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[], 'Infinity',
              0.1, 0.9, 32, 'momentum', 0, 1, 64)$$);
SELECT try($$SELECT bpnn_train_epoch('$$ || :'m' || $$'::bpnn_model, ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[], '12 MPa',
              0.1, 0.9, 32, 'momentum', 0, 1, 64)$$);
SELECT bpnn_state_info(bpnn_gradient(:'m', ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[], NULL::text)) - 'model_checksum' AS null_label;

-- parallel query: partial states per worker, combined by the leader; equal
-- to the serial state to the bound of its float additions (sql/stream.sql
-- derives it: 2 * 127 * 2^-24 * the mean |row term| per weight, measured
-- here from each concrete row's own gradient; the loss 1e-11 relative)
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT bpnn_gradient(:'m', :f, compressive_strength::text) FROM rs_concrete;
SELECT bpnn_gradient(:'m', :f, compressive_strength::text) AS parallel_g FROM rs_concrete \gset
SET max_parallel_workers_per_gather = 0;
SELECT bpnn_gradient(:'m', :f, compressive_strength::text) AS serial_g FROM rs_concrete \gset
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
CREATE TEMP TABLE rs_row_terms AS
SELECT k, avg(abs(t)) AS mean_abs_term
FROM (SELECT bpnn_state_gradient(bpnn_gradient(:'m', :f, compressive_strength::text)) AS g
      FROM (SELECT row_number() OVER () AS i, * FROM concrete) r GROUP BY i) per_row,
     unnest(g) WITH ORDINALITY u(t, k)
GROUP BY k;
SELECT bpnn_state_info(:'parallel_g')->'rows' AS parallel_rows,
       bpnn_state_info(:'serial_g')->'rows' AS serial_rows,
       abs((bpnn_state_info(:'parallel_g')->>'loss')::float8 - (bpnn_state_info(:'serial_g')->>'loss')::float8)
           <= 1e-11 * (bpnn_state_info(:'serial_g')->>'loss')::float8 AS same_loss,
       (SELECT bool_and(abs(p - s) <= 2 * 127 * 2.0 ^ -24 * mean_abs_term)
        FROM unnest(bpnn_state_gradient(:'parallel_g'), bpnn_state_gradient(:'serial_g')) WITH ORDINALITY u(p, s, k)
        JOIN rs_row_terms USING (k)) AS same_gradient;

-- bpnn_train_epoch on a regressor: one epoch of mini-batches lowers the loss
SELECT bpnn_train_epoch(:'m', :f, compressive_strength::text, 0.01, 0.9, 32, 'momentum', 0, 1, 256)
       AS e FROM concrete \gset
SELECT (bpnn_state_info(bpnn_gradient(:'e', :f, compressive_strength::text))->>'loss')::float8
       < (bpnn_state_info(:'g')->>'loss')::float8 AS epoch_lowers_loss,
       bpnn_info(:'e')->'target' = bpnn_info(:'m')->'target' AS same_target_scaling
FROM concrete;

-- streaming: past bpnn.memory_limit, mini-batch epochs of bpnn_train_epoch.
-- The target scaling is the label's mean and population deviation (Welford
-- and Chan in float64 against a two-pass sum: 1e-9 relative); the model's
-- R² on concrete is near the in-memory model's (measured 0.8898 against
-- 0.8885 with these options: they shuffle differently, allowed 0.03)
SET bpnn.memory_limit = '64kB';
SELECT bpnn_train('rs_concrete', 'compressive_strength', task => 'regression', hidden => '{16}', epochs => 40) AS s \gset
-- full batch: one bpnn_gradient scan per epoch, the in-memory full-batch
-- model to float tolerance (chunk sums in another order; measured final
-- losses 8.5e-9 apart relative, allowed 1e-5)
SELECT bpnn_train('rs_concrete', 'compressive_strength', task => 'regression', hidden => '{16}', epochs => 40,
                  batch_size => 0, learning_rate => 0.5) AS sfb \gset
RESET bpnn.memory_limit;
SELECT bpnn_train('rs_concrete', 'compressive_strength', task => 'regression', hidden => '{16}', epochs => 40,
                  batch_size => 0, learning_rate => 0.5) AS mfb \gset
SELECT bpnn_info(:'s')->>'task' AS task, bpnn_info(:'s')->'training'->'rows_used' AS rows_used,
       abs((bpnn_info(:'s')->'target'->'shift'->>0)::float8 - avg(compressive_strength)) <= 1e-9 * avg(compressive_strength) AS shift_is_mean,
       abs((bpnn_info(:'s')->'target'->'scale'->>0)::float8 - stddev_pop(compressive_strength)) <= 1e-9 * stddev_pop(compressive_strength) AS scale_is_stddev_pop
FROM rs_concrete;
SELECT (bpnn_evaluate(:'s', 'concrete', 'compressive_strength')->>'r2')::float8 > 0.85 AS streamed_r2_high,
       abs((bpnn_evaluate(:'s', 'concrete', 'compressive_strength')->>'r2')::float8
           - (bpnn_evaluate(:'m', 'concrete', 'compressive_strength')->>'r2')::float8) < 0.03 AS near_in_memory,
       abs((bpnn_info(:'sfb')->'training'->>'final_loss')::float8 - (bpnn_info(:'mfb')->'training'->>'final_loss')::float8)
           <= 1e-5 * (bpnn_info(:'mfb')->'training'->>'final_loss')::float8 AS full_batch_as_in_memory;
-- NULL labels are skipped, counted in rows_skipped
CREATE TABLE rs_nulls AS SELECT * FROM rs_concrete;
INSERT INTO rs_nulls SELECT cement, blast_furnace_slag, fly_ash, water, superplasticizer, coarse_aggregate,
    fine_aggregate, age, NULL FROM concrete LIMIT 10;
SET bpnn.memory_limit = '64kB';
SELECT bpnn_train('rs_nulls', 'compressive_strength', task => 'regression', hidden => '{4}', epochs => 2) AS n \gset
RESET bpnn.memory_limit;
SELECT bpnn_info(:'n')->'training'->'rows_used' AS rows_used, bpnn_info(:'n')->'training'->'rows_skipped' AS rows_skipped;
