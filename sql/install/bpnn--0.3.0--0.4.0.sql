-- bpnn upgrade script 0.3.0 -> 0.4.0: what 0.4.0 changes in 0.3.0.
-- CREATE EXTENSION bpnn runs the 0.1.0 install script and every update
-- script after it, this one last; test/t/upgrade.sh checks that an update
-- from each earlier version leaves the same catalog as a fresh install.
-- Sections name their topic; the Security section stays the last.

\echo Use "ALTER EXTENSION bpnn UPDATE TO '0.4.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- bpnn_fit in parallel (src/group_state.c): combine, serialize and
-- deserialize functions, so that a parallel plan runs it (Partial Aggregate
-- in each worker, Finalize Aggregate in the leader).  Combining
-- concatenates the partial states' rows; the final function trains on the
-- rows in a canonical order, so the model does not depend on the plan.
-- An aggregate's support functions cannot be altered: each overload is
-- dropped and created again, as 0.2.0 -> 0.3.0 did.
-- ---------------------------------------------------------------------------

-- not strict: it makes the first state in the aggregate's memory.
-- STABLE: the rows are checked against bpnn.memory_limit
CREATE FUNCTION bpnn_fit_combinefn(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_combinefn' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_fit_combinefn(internal, internal) IS
	'combine function of bpnn_fit: appends one partial state''s rows to another''s';
CREATE FUNCTION bpnn_fit_serializefn(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'bpnn_fit_serializefn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_fit_serializefn(internal) IS
	'serialize function of bpnn_fit: a partial state as bytes, for the leader of a parallel plan';
CREATE FUNCTION bpnn_fit_deserializefn(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_deserializefn' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_fit_deserializefn(bytea, internal) IS
	'deserialize function of bpnn_fit: checks a serialized partial state and reads it back';

DROP AGGREGATE bpnn_fit(float8[], text, jsonb);
CREATE AGGREGATE bpnn_fit(features float8[], label text, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	COMBINEFUNC = bpnn_fit_combinefn,
	SERIALFUNC = bpnn_fit_serializefn,
	DESERIALFUNC = bpnn_fit_deserializefn,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], text, jsonb) IS
	'trains a model on the rows it aggregates (one per group, in parallel workers too), for a label of type text; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

DROP AGGREGATE bpnn_fit(float8[], boolean, jsonb);
CREATE AGGREGATE bpnn_fit(features float8[], label boolean, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	COMBINEFUNC = bpnn_fit_combinefn,
	SERIALFUNC = bpnn_fit_serializefn,
	DESERIALFUNC = bpnn_fit_deserializefn,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], boolean, jsonb) IS
	'trains a model on the rows it aggregates (one per group, in parallel workers too), for a label of type boolean; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

DROP AGGREGATE bpnn_fit(float8[], int2, jsonb);
CREATE AGGREGATE bpnn_fit(features float8[], label int2, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	COMBINEFUNC = bpnn_fit_combinefn,
	SERIALFUNC = bpnn_fit_serializefn,
	DESERIALFUNC = bpnn_fit_deserializefn,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], int2, jsonb) IS
	'trains a model on the rows it aggregates (one per group, in parallel workers too), for a label of type int2; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

DROP AGGREGATE bpnn_fit(float8[], int4, jsonb);
CREATE AGGREGATE bpnn_fit(features float8[], label int4, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	COMBINEFUNC = bpnn_fit_combinefn,
	SERIALFUNC = bpnn_fit_serializefn,
	DESERIALFUNC = bpnn_fit_deserializefn,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], int4, jsonb) IS
	'trains a model on the rows it aggregates (one per group, in parallel workers too), for a label of type int4; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

DROP AGGREGATE bpnn_fit(float8[], int8, jsonb);
CREATE AGGREGATE bpnn_fit(features float8[], label int8, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	COMBINEFUNC = bpnn_fit_combinefn,
	SERIALFUNC = bpnn_fit_serializefn,
	DESERIALFUNC = bpnn_fit_deserializefn,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], int8, jsonb) IS
	'trains a model on the rows it aggregates (one per group, in parallel workers too), for a label of type int8; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

DROP AGGREGATE bpnn_fit(float8[], float4, jsonb);
CREATE AGGREGATE bpnn_fit(features float8[], label float4, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	COMBINEFUNC = bpnn_fit_combinefn,
	SERIALFUNC = bpnn_fit_serializefn,
	DESERIALFUNC = bpnn_fit_deserializefn,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], float4, jsonb) IS
	'trains a model on the rows it aggregates (one per group, in parallel workers too), for a label of type float4; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

DROP AGGREGATE bpnn_fit(float8[], float8, jsonb);
CREATE AGGREGATE bpnn_fit(features float8[], label float8, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	COMBINEFUNC = bpnn_fit_combinefn,
	SERIALFUNC = bpnn_fit_serializefn,
	DESERIALFUNC = bpnn_fit_deserializefn,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], float8, jsonb) IS
	'trains a model on the rows it aggregates (one per group, in parallel workers too), for a label of type float8; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

DROP AGGREGATE bpnn_fit(float8[], numeric, jsonb);
CREATE AGGREGATE bpnn_fit(features float8[], label numeric, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	COMBINEFUNC = bpnn_fit_combinefn,
	SERIALFUNC = bpnn_fit_serializefn,
	DESERIALFUNC = bpnn_fit_deserializefn,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], numeric, jsonb) IS
	'trains a model on the rows it aggregates (one per group, in parallel workers too), for a label of type numeric; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

DROP AGGREGATE bpnn_fit(float8[], oid, jsonb);
CREATE AGGREGATE bpnn_fit(features float8[], label oid, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	COMBINEFUNC = bpnn_fit_combinefn,
	SERIALFUNC = bpnn_fit_serializefn,
	DESERIALFUNC = bpnn_fit_deserializefn,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], oid, jsonb) IS
	'trains a model on the rows it aggregates (one per group, in parallel workers too), for a label of type oid; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

-- ---------------------------------------------------------------------------
-- Security: aggregate support functions are not for PUBLIC (as in 0.3.0)
-- ---------------------------------------------------------------------------
-- The same catalog-driven REVOKE as the last section of the 0.2.0 -> 0.3.0
-- script (see the reasoning there), run again so that it covers every
-- support function of every aggregate this script creates or re-creates.
-- It must stay the last section of the script.
DO $$
DECLARE
	fn pg_catalog.regprocedure;
BEGIN
	FOR fn IN
		SELECT DISTINCT v.fn::pg_catalog.regprocedure
		FROM pg_catalog.pg_aggregate a
		JOIN pg_catalog.pg_depend d
		  ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		 AND d.objid OPERATOR(pg_catalog.=) a.aggfnoid
		 AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
		 AND d.deptype OPERATOR(pg_catalog.=) 'e'
		JOIN pg_catalog.pg_extension e
		  ON e.oid OPERATOR(pg_catalog.=) d.refobjid
		 AND e.extname OPERATOR(pg_catalog.=) 'bpnn'
		CROSS JOIN LATERAL (VALUES (a.aggtransfn), (a.aggcombinefn), (a.aggfinalfn),
								   (a.aggserialfn), (a.aggdeserialfn)) v(fn)
		WHERE v.fn OPERATOR(pg_catalog.<>) 0
	LOOP
		EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', fn);
	END LOOP;
END
$$;
