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

-- Training as an aggregate that learns (issue 10): bpnn_train_epoch and its
-- state type (src/sgd_aggregate.c, src/sgd_state.c)
-- ---------------------------------------------------------------------------
CREATE TYPE bpnn_train_state;
CREATE FUNCTION bpnn_train_state_in(cstring) RETURNS bpnn_train_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bpnn_train_state_out(bpnn_train_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bpnn_train_state_recv(internal) RETURNS bpnn_train_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bpnn_train_state_send(bpnn_train_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE bpnn_train_state (
	INPUT = bpnn_train_state_in,
	OUTPUT = bpnn_train_state_out,
	RECEIVE = bpnn_train_state_recv,
	SEND = bpnn_train_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE bpnn_train_state IS
	'the state of bpnn_train_epoch: a partial''s own weights, optimizer moments, options, counts and starting model';
COMMENT ON FUNCTION bpnn_train_state_in(cstring) IS 'reads a bpnn_train_state from its text form (its binary form in hexadecimal)';
COMMENT ON FUNCTION bpnn_train_state_out(bpnn_train_state) IS 'writes a bpnn_train_state as text (its binary form in hexadecimal)';
COMMENT ON FUNCTION bpnn_train_state_recv(internal) IS 'reads a bpnn_train_state from its binary form';
COMMENT ON FUNCTION bpnn_train_state_send(bpnn_train_state) IS 'writes a bpnn_train_state in binary form';

-- IMMUTABLE: the label is text already; the row order a plan feeds (and so
-- the result) may differ between plans, as for any order-sensitive aggregate
CREATE FUNCTION bpnn_train_epoch_transfn(bpnn_train_state, bpnn_model, float8[], text,
		float8, float8, int4, text, float8, int8, int4) RETURNS bpnn_train_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_train_epoch_combinefn(bpnn_train_state, bpnn_train_state) RETURNS bpnn_train_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bpnn_train_epoch_finalfn(bpnn_train_state) RETURNS bpnn_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_train_epoch_transfn(bpnn_train_state, bpnn_model, float8[], text, float8, float8, int4, text, float8, int8, int4) IS
	'transition function of bpnn_train_epoch: buffers a row, trains on a full buffer';
COMMENT ON FUNCTION bpnn_train_epoch_combinefn(bpnn_train_state, bpnn_train_state) IS
	'combine function of bpnn_train_epoch: the row-weighted average of two partial models and their optimizer moments';
COMMENT ON FUNCTION bpnn_train_epoch_finalfn(bpnn_train_state) IS
	'final function of bpnn_train_epoch: the model with the epoch''s averaged weights';
CREATE AGGREGATE bpnn_train_epoch(model bpnn_model, features float8[], label text,
		learning_rate float8, momentum float8, batch_size int4, optimizer text,
		weight_decay float8, seed int8, buffer_rows int4) (
	SFUNC = bpnn_train_epoch_transfn,
	STYPE = bpnn_train_state,
	COMBINEFUNC = bpnn_train_epoch_combinefn,
	FINALFUNC = bpnn_train_epoch_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_train_epoch(bpnn_model, float8[], text, float8, float8, int4, text, float8, int8, int4) IS
	'one epoch of mini-batch training from the model''s weights over the rows it aggregates, shuffled within buffers of buffer_rows; partials (parallel workers, Citus shards) are averaged';

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
