-- How a label becomes a class (src/labels.c), on every path: bpnn_train in
-- memory and streaming, bpnn_fit, bpnn_gradient over the trained model and
-- bpnn_evaluate.  Each case below trains the same labels on every path and
-- shows the classes (or the error) of each.
--
-- The tables have 1200 rows: a label and x, a 64-element float8[] (of
-- float4 values) that depends on the row and its label; with
-- bpnn.memory_limit = 256kB about 1000 rows fit in memory, so bpnn_train
-- streams.
SET client_min_messages = warning;
-- bpnn_fit trains in one process: compare it with bpnn_train in one process
SET bpnn.max_parallel_workers = 0;

-- a table name(label <type>, x float8[]) whose labels cycle through vals;
-- rows from bad_from on get bad_label (NULL: none), after the rows that
-- fit in 256kB
CREATE FUNCTION pg_temp.label_table(name text, type text, vals text[],
                                    bad_label text DEFAULT NULL, bad_from int DEFAULT 1191)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('CREATE TABLE %I (label %s, x float8[])', name, type);
	EXECUTE format($q$
		INSERT INTO %I
		SELECT CASE WHEN $2 IS NOT NULL AND i >= $3 THEN $2 ELSE $1[1 + i %% cardinality($1)] END::%s,
		       ARRAY(SELECT sin(i * k + (i %% cardinality($1)) * 3)::float4 FROM generate_series(1, 64) k)::float8[]
		FROM generate_series(1, 1200) i ORDER BY i$q$, name, type)
		USING vals, bad_label, bad_from;
END
$$;

-- what one path makes of it: the classes, or the error
CREATE FUNCTION pg_temp.outcome(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	result text;
BEGIN
	EXECUTE query INTO result;
	RETURN result;
EXCEPTION WHEN OTHERS THEN
	RETURN format('ERROR %s: %s', SQLSTATE, SQLERRM);
END
$$;

-- every path over the table; label_arg: how bpnn_fit is passed the label.
-- bpnn_gradient and bpnn_evaluate use the in-memory model of model_source.
CREATE FUNCTION pg_temp.every_path(tbl text, label_arg text DEFAULT 'label',
                                   model_source text DEFAULT NULL)
RETURNS TABLE (path text, outcome text) LANGUAGE plpgsql AS $$
DECLARE
	train text := format('bpnn_train(%L, %L, hidden => ''{3}'', epochs => 3)', tbl, 'label');
	fit text := format('bpnn_fit(x, %s, ''{"hidden": [3], "epochs": 3}'')', label_arg);
	model bpnn_model;
	fitted bpnn_model;
	canonical bpnn_model;
BEGIN
	path := 'bpnn_train in memory';
	outcome := pg_temp.outcome(format('SELECT bpnn_classes(%s)::text', train));
	RETURN NEXT;

	PERFORM set_config('bpnn.memory_limit', '256kB', false);
	path := 'bpnn_train streaming';
	-- streaming ignores validation_fraction (and records 0): the mark that it streamed
	outcome := pg_temp.outcome(format(
		'SELECT bpnn_classes(m)::text || CASE WHEN bpnn_info(m)->''training''->>''validation_fraction'' = ''0'' '
		'THEN '''' ELSE '' (did not stream)'' END FROM %s m',
		replace(train, 'epochs => 3)', 'epochs => 3, validation_fraction => 0.5)')));
	RETURN NEXT;
	RESET bpnn.memory_limit;

	path := 'bpnn_fit';
	outcome := pg_temp.outcome(format('SELECT bpnn_classes(%s)::text FROM %I', fit, tbl));
	RETURN NEXT;

	BEGIN
		EXECUTE format('SELECT bpnn_train(%L, %L, hidden => ''{3}'', epochs => 3)',
		               coalesce(model_source, tbl), 'label') INTO model;
		EXECUTE format('SELECT %s FROM %I', fit, tbl) INTO fitted;
		-- bpnn_fit trains on its rows in their canonical order (by value;
		-- no two rows' x are equal here): bpnn_train on them in that order
		EXECUTE format('CREATE TEMP TABLE lab_canonical AS SELECT * FROM %I ORDER BY x::float4[]', tbl);
		EXECUTE 'SELECT bpnn_train(''lab_canonical'', ''label'', hidden => ''{3}'', epochs => 3)' INTO canonical;
	EXCEPTION WHEN OTHERS THEN
		NULL;
	END;
	DROP TABLE IF EXISTS lab_canonical;
	IF canonical IS NOT NULL AND fitted IS NOT NULL THEN
		path := 'bpnn_fit = bpnn_train';
		outcome := bpnn_classes(canonical) = bpnn_classes(fitted) AND
			(canonical::text::jsonb->'weights') = (fitted::text::jsonb->'weights');
		RETURN NEXT;
	END IF;
	IF model IS NULL THEN
		RETURN;
	END IF;

	path := 'bpnn_gradient rows';
	outcome := pg_temp.outcome(format(
		'SELECT bpnn_state_info(bpnn_gradient(%L::bpnn_model, x, label::text))->>''rows'' FROM %I',
		model, tbl));
	RETURN NEXT;

	path := 'bpnn_evaluate';
	outcome := pg_temp.outcome(format(
		'SELECT format(''%%s, %%s rows, %%s unknown'', '
		'(SELECT array_agg(c->>''class'') FROM jsonb_array_elements(e->''classes'') c), '
		'e->>''rows_used'', e->>''unknown_labels'') FROM bpnn_evaluate(%L::bpnn_model, %L, %L) e',
		model, tbl, 'label'));
	RETURN NEXT;
END
$$;

-- text: classes by bytes
SELECT pg_temp.label_table('lab_text', 'text', '{b, a, B, ab}');
SELECT * FROM pg_temp.every_path('lab_text');

-- integers sort by value; an int4 label resolves to bpnn_fit's int4 overload
SELECT pg_temp.label_table('lab_int', 'int4', '{10, 9, 100, -5}');
SELECT * FROM pg_temp.every_path('lab_int');

-- int8 beyond float8's precision: two classes, ordered by exact value
SELECT pg_temp.label_table('lab_int8', 'int8', '{-9007199254740993, -9007199254740992, 9007199254740993, 9007199254740992}');
SELECT * FROM pg_temp.every_path('lab_int8');

-- numeric: by value; 1.5 and 1.50 are two labels (label::text), the shorter first
SELECT pg_temp.label_table('lab_numeric', 'numeric', '{10, 9.25, 1.50, 1.5}');
SELECT * FROM pg_temp.every_path('lab_numeric');

-- float8 and float4: by value, their own text (a float4 is not read as float8)
SELECT pg_temp.label_table('lab_float', 'float8', '{10, 0.5, 1e20, 2.25}');
SELECT * FROM pg_temp.every_path('lab_float');
SELECT pg_temp.label_table('lab_float4', 'float4', '{0.2, 0.1}');
SELECT * FROM pg_temp.every_path('lab_float4');

-- NaN labels are an error on every path (here after the rows that fit in
-- memory, so streaming meets them in its own scan); Infinity too
SELECT pg_temp.label_table('lab_nan', 'float8', '{1, 2}', 'NaN');
CREATE VIEW lab_nan_finite AS SELECT * FROM lab_nan WHERE label <> 'NaN';
SELECT * FROM pg_temp.every_path('lab_nan', model_source => 'lab_nan_finite');
SELECT pg_temp.label_table('lab_inf', 'numeric', '{1, 2}', '-Infinity');
SELECT * FROM pg_temp.every_path('lab_inf');

-- a label longer than 10000 bytes cannot name a class, on every path
SELECT pg_temp.label_table('lab_long', 'text', '{a, b}', repeat('x', 20000));
SELECT * FROM pg_temp.every_path('lab_long');

-- oid: a number, as bpnn_fit has always taken it
SELECT pg_temp.label_table('lab_oid', 'oid', '{10, 100, 9}');
SELECT * FROM pg_temp.every_path('lab_oid');

-- inet: label::text (10.0.0.1/32) on every path; bpnn_fit and bpnn_gradient
-- take it as text
SELECT pg_temp.label_table('lab_inet', 'inet', '{10.0.0.2, 10.0.0.1, ::1}');
SELECT * FROM pg_temp.every_path('lab_inet', 'label::text');
SELECT bpnn_classes(bpnn_fit(x, label, '{"hidden": [3], "epochs": 1}')) FROM lab_inet;

-- each label type resolves to its own overload: no implicit cast shows in
-- the plan (an int4 taken as float8 would read (label)::double precision)
EXPLAIN (VERBOSE, COSTS OFF)
SELECT bpnn_fit(x, label, '{}'), bpnn_fit(x, label::int2, '{}'), bpnn_fit(x, label::float4, '{}'),
       bpnn_fit(x, 'a', '{}'), bpnn_fit(x, label::varchar, '{}')
FROM lab_int;

-- boolean: true and false, as label::text reads them
SELECT pg_temp.label_table('lab_bool', 'boolean', '{true, false}');
SELECT * FROM pg_temp.every_path('lab_bool');

-- a case-insensitive collation: 'A' and 'a' are two classes on every path
CREATE COLLATION lab_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SELECT pg_temp.label_table('lab_ci_labels', 'text COLLATE lab_ci', '{a, b, A}');
SELECT 'A' = 'a' COLLATE lab_ci AS collation_merges;
SELECT * FROM pg_temp.every_path('lab_ci_labels');

-- 2-D array features are an error on every path, like a 2-D features
-- argument; here 8 x 8 arrays follow 1100 rows of 64-element arrays
CREATE TABLE lab_2d (label text, x float8[]);
INSERT INTO lab_2d
SELECT CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END,
       CASE WHEN i <= 1100 THEN array_fill(i::float8, ARRAY[64]) ELSE array_fill(i::float8, ARRAY[8, 8]) END
FROM generate_series(1, 1200) i ORDER BY i;
CREATE VIEW lab_1d AS SELECT * FROM lab_2d WHERE array_ndims(x) = 1;
SELECT * FROM pg_temp.every_path('lab_2d', model_source => 'lab_1d');

-- the declarations: no argument of a polymorphic type in any bpnn aggregate
SELECT p.oid::regprocedure AS aggregate
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
     JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'bpnn'
WHERE p.prokind = 'a'
  AND EXISTS (SELECT FROM unnest(p.proargtypes::oid[]) t WHERE t::regtype::text LIKE 'any%');

-- the C functions behind 0.2.0's declarations (label anyelement) stay for
-- the update scripts, and refuse until ALTER EXTENSION bpnn UPDATE
CREATE FUNCTION pg_temp.old_fit_transfn(internal, float8[], anyelement, jsonb) RETURNS internal
	AS '$libdir/bpnn', 'bpnn_fit_transfn' LANGUAGE C STABLE;
CREATE AGGREGATE pg_temp.old_fit(float8[], anyelement, jsonb) (
	SFUNC = pg_temp.old_fit_transfn, STYPE = internal, FINALFUNC = bpnn_fit_finalfn);
SELECT pg_temp.old_fit(x, label, '{}') FROM lab_int;
CREATE FUNCTION pg_temp.old_gradient_transfn(bpnn_state, bpnn_model, float8[], anyelement) RETURNS bpnn_state
	AS '$libdir/bpnn', 'bpnn_gradient_transfn' LANGUAGE C STABLE;
CREATE AGGREGATE pg_temp.old_gradient(bpnn_model, float8[], anyelement) (
	SFUNC = pg_temp.old_gradient_transfn, STYPE = bpnn_state);
SELECT pg_temp.old_gradient((SELECT bpnn_train('lab_int', 'label', hidden => '{3}', epochs => 1)), x, label)
FROM lab_int;

DROP VIEW lab_nan_finite, lab_1d;
DROP TABLE lab_text, lab_int, lab_int8, lab_numeric, lab_float, lab_float4, lab_nan, lab_inf, lab_long,
           lab_oid, lab_inet, lab_bool, lab_ci_labels, lab_2d;
DROP COLLATION lab_ci;
RESET client_min_messages;
