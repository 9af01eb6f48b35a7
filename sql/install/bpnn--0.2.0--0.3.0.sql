-- bpnn upgrade script 0.2.0 -> 0.3.0: what 0.3.0 changes in 0.2.0.
-- After ALTER EXTENSION bpnn UPDATE, a database holds exactly what
-- CREATE EXTENSION bpnn (version 0.3.0) creates; test/t/upgrade.sh checks that.

\echo Use "ALTER EXTENSION bpnn UPDATE TO '0.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Labels (src/labels.c): aggregates that any executor can run.
-- A label's type is never read from the call expression, which a remote
-- executor (Citus's worker_partial_agg) does not supply: bpnn_gradient
-- takes label::text, bpnn_fit has one overload per label type.  The C
-- functions of the 0.2.0 declarations (label anyelement) only refuse now.
-- ---------------------------------------------------------------------------

DROP AGGREGATE bpnn_gradient(bpnn_model, float8[], anyelement);
DROP FUNCTION bpnn_gradient_transfn(bpnn_state, bpnn_model, float8[], anyelement);

-- IMMUTABLE: the caller turns the label into text; the bytes are the class
CREATE FUNCTION bpnn_gradient_transfn(bpnn_state, bpnn_model, float8[], text) RETURNS bpnn_state
	AS 'MODULE_PATHNAME', 'bpnn_gradient_transfn_text' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_gradient_transfn(bpnn_state, bpnn_model, float8[], text) IS
	'transition function of bpnn_gradient: adds one row''s loss and error signals';

CREATE AGGREGATE bpnn_gradient(model bpnn_model, features float8[], label text) (
	SFUNC = bpnn_gradient_transfn,
	STYPE = bpnn_state,
	COMBINEFUNC = bpnn_gradient_combinefn,
	FINALFUNC = bpnn_gradient_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_gradient(bpnn_model, float8[], text) IS
	'the full-batch loss and gradient of a model over the rows it aggregates (parallel and distributable); pass the label as label::text';

DROP AGGREGATE bpnn_fit(float8[], anyelement, jsonb);
DROP FUNCTION bpnn_fit_transfn(internal, float8[], anyelement, jsonb);

-- One overload per label type, each exact, so that resolution never turns
-- a label into another type (an int8 into float8, a float4 into float8)
-- and label::text is the text bpnn_train reads.  Other types: label::text.
-- STABLE: label::text of a float depends on extra_float_digits.
CREATE FUNCTION bpnn_fit_transfn(internal, float8[], text, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_transfn_text' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_fit_transfn(internal, float8[], boolean, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_transfn_bool' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_fit_transfn(internal, float8[], int2, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_transfn_int2' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_fit_transfn(internal, float8[], int4, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_transfn_int4' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_fit_transfn(internal, float8[], int8, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_transfn_int8' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_fit_transfn(internal, float8[], float4, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_transfn_float4' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_fit_transfn(internal, float8[], float8, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_transfn_float8' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_fit_transfn(internal, float8[], numeric, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_transfn_numeric' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_fit_transfn(internal, float8[], oid, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_transfn_oid' LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION bpnn_fit_transfn(internal, float8[], text, jsonb) IS
	'transition function of bpnn_fit for a label of type text: packs one row';
CREATE AGGREGATE bpnn_fit(features float8[], label text, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], text, jsonb) IS
	'trains a model on the rows it aggregates (one per group), for a label of type text; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

COMMENT ON FUNCTION bpnn_fit_transfn(internal, float8[], boolean, jsonb) IS
	'transition function of bpnn_fit for a label of type boolean: packs one row';
CREATE AGGREGATE bpnn_fit(features float8[], label boolean, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], boolean, jsonb) IS
	'trains a model on the rows it aggregates (one per group), for a label of type boolean; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

COMMENT ON FUNCTION bpnn_fit_transfn(internal, float8[], int2, jsonb) IS
	'transition function of bpnn_fit for a label of type int2: packs one row';
CREATE AGGREGATE bpnn_fit(features float8[], label int2, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], int2, jsonb) IS
	'trains a model on the rows it aggregates (one per group), for a label of type int2; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

COMMENT ON FUNCTION bpnn_fit_transfn(internal, float8[], int4, jsonb) IS
	'transition function of bpnn_fit for a label of type int4: packs one row';
CREATE AGGREGATE bpnn_fit(features float8[], label int4, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], int4, jsonb) IS
	'trains a model on the rows it aggregates (one per group), for a label of type int4; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

COMMENT ON FUNCTION bpnn_fit_transfn(internal, float8[], int8, jsonb) IS
	'transition function of bpnn_fit for a label of type int8: packs one row';
CREATE AGGREGATE bpnn_fit(features float8[], label int8, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], int8, jsonb) IS
	'trains a model on the rows it aggregates (one per group), for a label of type int8; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

COMMENT ON FUNCTION bpnn_fit_transfn(internal, float8[], float4, jsonb) IS
	'transition function of bpnn_fit for a label of type float4: packs one row';
CREATE AGGREGATE bpnn_fit(features float8[], label float4, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], float4, jsonb) IS
	'trains a model on the rows it aggregates (one per group), for a label of type float4; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

COMMENT ON FUNCTION bpnn_fit_transfn(internal, float8[], float8, jsonb) IS
	'transition function of bpnn_fit for a label of type float8: packs one row';
CREATE AGGREGATE bpnn_fit(features float8[], label float8, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], float8, jsonb) IS
	'trains a model on the rows it aggregates (one per group), for a label of type float8; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

COMMENT ON FUNCTION bpnn_fit_transfn(internal, float8[], numeric, jsonb) IS
	'transition function of bpnn_fit for a label of type numeric: packs one row';
CREATE AGGREGATE bpnn_fit(features float8[], label numeric, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], numeric, jsonb) IS
	'trains a model on the rows it aggregates (one per group), for a label of type numeric; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

COMMENT ON FUNCTION bpnn_fit_transfn(internal, float8[], oid, jsonb) IS
	'transition function of bpnn_fit for a label of type oid: packs one row';
CREATE AGGREGATE bpnn_fit(features float8[], label oid, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], oid, jsonb) IS
	'trains a model on the rows it aggregates (one per group), for a label of type oid; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

-- ---------------------------------------------------------------------------
-- Security (issue 12): aggregate support functions are not for PUBLIC
-- ---------------------------------------------------------------------------
-- An aggregate checks its owner's EXECUTE right on its support functions,
-- not the caller's, so the extension's aggregates keep working for every
-- role; what PUBLIC loses is calling these functions directly and building
-- aggregates of its own on them (with an INITCOND of its choosing, or
-- another aggregate's internal state).  Each still validates the state it
-- is handed, for the roles that may call it.
--
-- Every support function (transition, combine, final, serialize,
-- deserialize) of every aggregate of the extension, found in the catalogs,
-- so that the rule holds for aggregates created earlier in this script
-- whatever their signatures; it must stay the last section of the script.
-- As PostgreSQL's "Security Considerations for Extension Scripts" ask,
-- catalogs, functions and operators are named with their schema, and each
-- function revoked is named by its regprocedure text, which names exactly
-- the function found (qualified wherever the search_path would not).
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
