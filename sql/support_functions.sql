-- The aggregates' support functions are public entry points: whoever may
-- call them (directly, or through an aggregate of their own with any
-- INITCOND) can hand them any state.  Each checks the state it is given
-- before it touches it.  PUBLIC may not call them at all; the extension's
-- own aggregates still work for every role (issue 12, items 1 and 6).
-- Uses iris and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/try.sql
\set ECHO all

-- two models of iris and a gradient of each
SELECT bpnn_train('iris', 'label', hidden => '{3}', epochs => 5) AS model \gset
SELECT bpnn_train('iris', 'label', hidden => '{3}', epochs => 5, seed => 2) AS other \gset
SELECT bpnn_gradient(:'model', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label) AS g
FROM iris \gset
SELECT bpnn_gradient(:'other', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label) AS g_other
FROM iris \gset

-- ---------------------------------------------------------------------------
-- The rule: no aggregate support function of the extension is PUBLIC's
-- ---------------------------------------------------------------------------
SELECT count(*) > 0 AS has_support_functions,
       count(*) FILTER (WHERE has_function_privilege('public', f.oid, 'EXECUTE')) AS executable_by_public
FROM pg_aggregate a
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = a.aggfnoid
                AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'bpnn'
CROSS JOIN LATERAL (VALUES (a.aggtransfn), (a.aggcombinefn), (a.aggfinalfn),
                           (a.aggserialfn), (a.aggdeserialfn)) v(fn)
JOIN pg_proc f ON f.oid = v.fn;

-- ---------------------------------------------------------------------------
-- An unprivileged role: the issue's reproducer is refused, the aggregates work
-- ---------------------------------------------------------------------------
CREATE ROLE regress_bpnn_sf_user LOGIN;
GRANT SELECT ON iris TO regress_bpnn_sf_user;
SET ROLE regress_bpnn_sf_user;
CREATE AGGREGATE pg_temp.evil(float8[], boolean) (
  SFUNC = bpnn_feature_stats_transfn, STYPE = float8[], INITCOND = '{}');
SELECT pg_temp.evil(NULL::float8[], true), max(lpad(g::text, 5, '0')) FROM generate_series(1,100) g;
CREATE AGGREGATE pg_temp.evil_gradient(bpnn_model, float8[], text) (
  SFUNC = bpnn_gradient_transfn, STYPE = bpnn_state);
CREATE AGGREGATE pg_temp.evil_combine(bpnn_state) (
  SFUNC = bpnn_gradient_combinefn, STYPE = bpnn_state);
CREATE AGGREGATE pg_temp.evil_fit(float8[], text, jsonb) (
  SFUNC = bpnn_fit_transfn, STYPE = internal);
SELECT bpnn_gradient_finalfn(:'g');
SELECT bpnn_gradient_transfn(NULL, :'model', ARRAY[5.1, 3.5, 1.4, 0.2], 'setosa'::text);
SELECT bpnn_feature_stats_combinefn('{1,0,1,1,1,1,0}', '{1,0,1,1,1,1,0}');
-- the extension's aggregates check their owner's right, not the caller's
SELECT bpnn_feature_stats(ARRAY[sepal_length_cm, petal_width_cm], true) AS stats FROM iris;
SELECT bpnn_state_info(bpnn_gradient(:'model', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label))
       ->> 'rows' AS gradient_rows
FROM iris;
SELECT bpnn_classes(bpnn_fit(ARRAY[sepal_length_cm, petal_width_cm], label, '{"epochs": 3}')) AS fit_classes
FROM iris;
RESET ROLE;

-- ---------------------------------------------------------------------------
-- bpnn_feature_stats_transfn and _combinefn: every kind of bad state
-- (a superuser may still build these aggregates; the functions validate)
-- ---------------------------------------------------------------------------
CREATE FUNCTION sf_stats(initcond text, combine boolean DEFAULT false) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	DROP AGGREGATE IF EXISTS pg_temp.sf_agg(float8[], boolean);
	DROP AGGREGATE IF EXISTS pg_temp.sf_merge(float8[]);
	IF combine THEN
		EXECUTE format('CREATE AGGREGATE pg_temp.sf_merge(float8[]) (SFUNC = bpnn_feature_stats_combinefn, '
		               'STYPE = float8[], INITCOND = %L)', initcond);
		RETURN try($$SELECT pg_temp.sf_merge(s) FROM (VALUES ('{1,0,1,5,5,5,0}'::float8[])) v(s)$$);
	END IF;
	EXECUTE format('CREATE AGGREGATE pg_temp.sf_agg(float8[], boolean) (SFUNC = bpnn_feature_stats_transfn, '
	               'STYPE = float8[], INITCOND = %L)', initcond);
	RETURN try($$SELECT pg_temp.sf_agg(f, true) FROM (VALUES (NULL), (ARRAY[1.0::float8])) v(f)$$);
END
$f$;
-- the reproducer, as a superuser: an error, not a crash
CREATE AGGREGATE pg_temp.evil(float8[], boolean) (
  SFUNC = bpnn_feature_stats_transfn, STYPE = float8[], INITCOND = '{}');
SELECT pg_temp.evil(NULL::float8[], true), max(lpad(g::text, 5, '0')) FROM generate_series(1,100) g;
SET client_min_messages = warning;
SELECT init, sf_stats(init) AS transfn, sf_stats(init, true) AS combinefn
FROM (VALUES ('{}'),                              -- empty
             ('{0,0}'),                           -- valid: no features yet (no row seen)
             ('{1,0}'),                           -- rows, but no features
             ('{0,0,0,Infinity,-Infinity,0,0,0}'),  -- a feature and a half
             ('{{0,0},{0,0}}'),                   -- two dimensions
             ('{0,NULL,0,Infinity,-Infinity,0,0}'),  -- a NULL
             ('{-1,0,0,Infinity,-Infinity,0,0}'),  -- negative rows
             ('{0.5,0,0,Infinity,-Infinity,0,0}'), -- fractional rows
             ('{NaN,0,0,Infinity,-Infinity,0,0}'), -- NaN rows
             ('{1e300,0,0,Infinity,-Infinity,0,0}'),  -- beyond 2^53
             ('{1,0,2,1,1,1,0}'),                 -- more values than rows
             ('{1,0,1,2,1,1,0}'),                 -- min above max
             ('{1,0,1,1,1,1,-1}'),                -- negative M2
             ('{1,0,1,1,1,NaN,0}'),               -- NaN mean
             ('{1,0,1,1e39,1e39,1e39,0}'),        -- beyond float4
             ('{0,0,0,0,0,0,0}'),                 -- no values, yet a minimum
             ('{0,0,0,Infinity,-Infinity,0,0}'),  -- valid: nothing seen yet
             ('{1,0,1,5,5,5,0}')                  -- valid: one row
     ) v(init);
RESET client_min_messages;
-- the extension's own aggregate from a NULL state: rows whose features are
-- NULL before the first array are skipped rows (this crashed the server);
-- a partial state that saw only such rows adds its count when combined
SELECT bpnn_feature_stats(NULL::float8[], true) AS only_null;
SELECT bpnn_feature_stats(CASE WHEN g < 3 OR g = 5 THEN NULL ELSE ARRAY[g, 10 * g]::float8[] END, true) AS nulls_first
FROM generate_series(1, 6) g;
CREATE AGGREGATE pg_temp.merge_stats(float8[]) (SFUNC = bpnn_feature_stats_combinefn, STYPE = float8[]);
SELECT pg_temp.merge_stats(s ORDER BY i) FILTER (WHERE i IN (1, 2)) AS nulls_then_rows,
       pg_temp.merge_stats(s ORDER BY i) FILTER (WHERE i IN (2, 3)) AS rows_then_nulls,
       pg_temp.merge_stats(s ORDER BY i) FILTER (WHERE i IN (1, 3)) AS nulls_only
FROM (VALUES (1, '{0,2}'::float8[]), (2, '{1,0,1,5,5,5,0,1,7,7,7,0}'), (3, '{0,3}')) v(i, s);
-- a state of one feature given rows of two
CREATE AGGREGATE pg_temp.one_feature(float8[], boolean) (
  SFUNC = bpnn_feature_stats_transfn, STYPE = float8[], INITCOND = '{1,0,1,5,5,5,0}');
SELECT pg_temp.one_feature(ARRAY[1.0, 2.0], true);

-- bpnn_fit's internal state: only a superuser can build an aggregate of one,
-- and another aggregate's state is refused
CREATE AGGREGATE pg_temp.avg_then_fit(numeric) (
  SFUNC = numeric_avg_accum, STYPE = internal, FINALFUNC = bpnn_fit_finalfn);
SELECT pg_temp.avg_then_fit(g) FROM generate_series(1, 3) g;
-- in a parallel plan (Partial and Finalize Aggregate, whether or not a
-- worker starts): another aggregate's serialized state (numeric avg's
-- bytes) given to bpnn_fit's deserialize function, and another aggregate's
-- state given to its combine function
CREATE TABLE sf_numbers AS SELECT g::numeric AS n FROM generate_series(1, 10000) g;
ANALYZE sf_numbers;
CREATE AGGREGATE avg_bytes_then_fit(numeric) (
  SFUNC = numeric_avg_accum, STYPE = internal, SERIALFUNC = numeric_avg_serialize,
  DESERIALFUNC = bpnn_fit_deserializefn, COMBINEFUNC = bpnn_fit_combinefn,
  FINALFUNC = bpnn_fit_finalfn, PARALLEL = SAFE);
CREATE AGGREGATE avg_state_then_fit(numeric) (
  SFUNC = numeric_avg_accum, STYPE = internal, SERIALFUNC = numeric_avg_serialize,
  DESERIALFUNC = numeric_avg_deserialize, COMBINEFUNC = bpnn_fit_combinefn,
  FINALFUNC = bpnn_fit_finalfn, PARALLEL = SAFE);
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT avg_bytes_then_fit(n) FROM sf_numbers;
SELECT avg_bytes_then_fit(n) FROM sf_numbers;
SELECT avg_state_then_fit(n) FROM sf_numbers;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP AGGREGATE avg_bytes_then_fit(numeric);
DROP AGGREGATE avg_state_then_fit(numeric);
DROP TABLE sf_numbers;

-- ---------------------------------------------------------------------------
-- bpnn_gradient's support functions: states of every kind
-- ---------------------------------------------------------------------------
-- hex offsets of the text form: rows at 33, correct at 65, the first sum at 105
SELECT :'g'::bpnn_state::text = :'g' AS g_is_valid, length(:'g') = 104 + 16 * 27 AS g_has_27_sums;
-- wrong size and empty, as input: refused before any function sees them
SELECT try($$SELECT ''::bpnn_state$$) AS empty,
       try(format('SELECT %L::bpnn_state', left(:'g', -16))) AS one_sum_short,
       try(format('SELECT %L::bpnn_state', :'g' || repeat('0', 16))) AS one_sum_long;
-- NULL: the strict functions return NULL, the transition function starts a state;
-- bpnn_apply_gradient refuses a NULL gradient (bpnn_gradient of no rows),
-- which would otherwise replace the model in a training loop
SELECT bpnn_gradient_finalfn(NULL) IS NULL AS final_null, bpnn_state_info(NULL) IS NULL AS info_null;
SELECT try(format('SELECT bpnn_apply_gradient(%L, NULL)', :'model')) AS apply_null,
       try(format('SELECT bpnn_apply_gradient(%L, bpnn_gradient(%L, f, l)) FROM (VALUES (ARRAY[1, 2, 3, 4]::float8[], ''setosa'')) v(f, l) WHERE false',
                  :'model', :'model')) AS apply_no_rows,
       try(format('SELECT bpnn_apply_gradient(%L, bpnn_gradient(%L, ARRAY[1, 2, 3, 4]::float8[], ''setosa''), NULL)',
                  :'model', :'model')) AS apply_null_rate;
SELECT bpnn_state_info(bpnn_gradient(:'model', f, l)) ->> 'skipped' AS null_rows_skipped
FROM (VALUES (NULL::float8[], NULL::text), (NULL, 'setosa')) v(f, l);
-- a transition function given a state it did not start: a compact state of
-- the same model, one of another model
SELECT try($$CREATE AGGREGATE pg_temp.grad_empty(bpnn_model, float8[], text) (
  SFUNC = bpnn_gradient_transfn, STYPE = bpnn_state, INITCOND = '')$$) AS create_empty;
SELECT try(format($$CREATE AGGREGATE pg_temp.grad_same(bpnn_model, float8[], text) (
  SFUNC = bpnn_gradient_transfn, STYPE = bpnn_state, INITCOND = %L)$$, :'g')) AS create_same;
SELECT try(format($$SELECT pg_temp.grad_same(%L, ARRAY[5.1, 3.5, 1.4, 0.2], 'setosa')$$, :'model')) AS same_model_compact;
SELECT try(format($$SELECT pg_temp.grad_same(%L, ARRAY[5.1, 3.5, 1.4, 0.2], 'setosa')$$, :'other')) AS other_model;
-- a state with its buffer and model copy (no final function): every reader
-- finishes its rows with the model it carries
CREATE AGGREGATE pg_temp.raw_gradient(bpnn_model, float8[], text) (
  SFUNC = bpnn_gradient_transfn, STYPE = bpnn_state);
SELECT pg_temp.raw_gradient(:'model', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label) AS raw
FROM iris \gset
SELECT bpnn_state_info(:'raw') - 'model_checksum' - 'loss' - 'gradient_norm' AS raw_info,
       bpnn_state_gradient(:'raw') = bpnn_state_gradient(:'g') AS same_gradient;
-- combining: states of two models, and counts or sums past their range
CREATE AGGREGATE pg_temp.combine_states(bpnn_state) (
  SFUNC = bpnn_gradient_combinefn, STYPE = bpnn_state);
SELECT try(format($$SELECT pg_temp.combine_states(s) FROM (VALUES (%L::bpnn_state), (%L)) v(s)$$,
                     :'g', :'g_other')) AS two_models;
SELECT overlay(overlay(:'g' placing '4000000000000000' from 33) placing '0000000000000000' from 65) AS half_range \gset
SELECT bpnn_state_info(:'half_range') ->> 'rows' AS rows_2_62;
SELECT try(format($$SELECT pg_temp.combine_states(s) FROM (VALUES (%L::bpnn_state), (%L)) v(s)$$,
                     :'half_range', :'half_range')) AS rows_past_2_63;
SELECT overlay(:'g' placing '7fe0000000000000' from 105) AS huge_sum \gset
SELECT try(format($$SELECT pg_temp.combine_states(s) FROM (VALUES (%L::bpnn_state), (%L)) v(s)$$,
                     :'huge_sum', :'huge_sum')) AS sums_past_double;
-- a sum near 9e307 squares past double but has a norm; the largest finite
-- sums of one row have none within double: null, never Infinity (not JSON)
SELECT overlay(overlay(overlay(overlay(:'g' placing '0000000000000001' from 33) placing '0000000000000000' from 65)
       placing '7fefffffffffffff' from 105) placing '7fefffffffffffff' from 121) AS max_sums \gset
SELECT jsonb_typeof(bpnn_state_info(:'huge_sum') -> 'gradient_norm') AS norm_of_huge_sum,
       bpnn_state_info(:'max_sums') -> 'gradient_norm' AS norm_of_max_sums;
-- applying: another model's gradient; a step beyond float4 is an error, not
-- an undefined conversion
SELECT try(format($$SELECT bpnn_apply_gradient(%L, %L)$$, :'other', :'g')) AS other_models_gradient;
SELECT try(format($$SELECT bpnn_apply_gradient(%L, %L, 1)$$, :'model', :'huge_sum')) AS step_beyond_float4;

-- a model whose class weight is beyond float4 (valid: finite and positive)
-- is refused before its loss is computed in float4
SELECT jsonb_set(:'model'::text::jsonb, '{training,class_weights,0}', '1e300')::text AS heavy \gset
SELECT try(format($$SELECT bpnn_gradient(%L, ARRAY[5.1, 3.5, 1.4, 0.2], 'setosa'::text)$$, :'heavy')) AS heavy_class_weight;

DROP FUNCTION sf_stats(text, boolean);
REVOKE SELECT ON iris FROM regress_bpnn_sf_user;
DROP ROLE regress_bpnn_sf_user;
