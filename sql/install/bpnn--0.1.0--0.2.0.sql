-- bpnn upgrade script 0.1.0 -> 0.2.0: the objects 0.2.0 adds to 0.1.0.
-- After ALTER EXTENSION bpnn UPDATE, a database holds exactly what
-- CREATE EXTENSION bpnn VERSION '0.2.0' creates;
-- test/t/upgrade.sh checks that.

\echo Use "ALTER EXTENSION bpnn UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- The gradient state type (src/state.c)
-- ---------------------------------------------------------------------------

CREATE TYPE bpnn_state;

CREATE FUNCTION bpnn_state_in(cstring) RETURNS bpnn_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bpnn_state_out(bpnn_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bpnn_state_recv(internal) RETURNS bpnn_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bpnn_state_send(bpnn_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE bpnn_state (
	INPUT = bpnn_state_in,
	OUTPUT = bpnn_state_out,
	RECEIVE = bpnn_state_recv,
	SEND = bpnn_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE bpnn_state IS
	'the running sums of bpnn_gradient for one model: rows, loss, correct predictions and the error-signal sums of every weight';
COMMENT ON FUNCTION bpnn_state_in(cstring) IS 'reads a bpnn_state from its text form (its binary form in hexadecimal)';
COMMENT ON FUNCTION bpnn_state_out(bpnn_state) IS 'writes a bpnn_state as text (its binary form in hexadecimal)';
COMMENT ON FUNCTION bpnn_state_recv(internal) IS 'reads a bpnn_state from its binary form';
COMMENT ON FUNCTION bpnn_state_send(bpnn_state) IS 'writes a bpnn_state in binary form';

-- ---------------------------------------------------------------------------
-- Training as aggregates (src/aggregate.c)
-- ---------------------------------------------------------------------------

-- STABLE: a label is read as label::text, which may depend on settings (TimeZone)
CREATE FUNCTION bpnn_gradient_transfn(bpnn_state, bpnn_model, float8[], anyelement) RETURNS bpnn_state
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_gradient_combinefn(bpnn_state, bpnn_state) RETURNS bpnn_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bpnn_gradient_finalfn(bpnn_state) RETURNS bpnn_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE bpnn_gradient(model bpnn_model, features float8[], label anyelement) (
	SFUNC = bpnn_gradient_transfn,
	STYPE = bpnn_state,
	COMBINEFUNC = bpnn_gradient_combinefn,
	FINALFUNC = bpnn_gradient_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_gradient(bpnn_model, float8[], anyelement) IS
	'the full-batch loss and gradient of a model over the rows it aggregates (parallel and distributable)';

CREATE FUNCTION bpnn_state_info(gradient bpnn_state) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_state_info(bpnn_state) IS
	'rows, skipped rows, mean loss, accuracy and gradient norm of a bpnn_gradient result';

CREATE FUNCTION bpnn_state_gradient(gradient bpnn_state) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_state_gradient(bpnn_state) IS
	'the mean loss gradient of every weight, in the order of the model''s weights (NULL when no rows were seen)';

CREATE FUNCTION bpnn_apply_gradient(model bpnn_model, gradient bpnn_state, learning_rate float8 DEFAULT 0.2)
RETURNS bpnn_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_apply_gradient(bpnn_model, bpnn_state, float8) IS
	'one gradient-descent step: the model with every weight moved by -learning_rate times its mean gradient';

CREATE FUNCTION bpnn_feature_stats_transfn(float8[], float8[], boolean) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_feature_stats_combinefn(float8[], float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE bpnn_feature_stats(features float8[], skip_incomplete boolean) (
	SFUNC = bpnn_feature_stats_transfn,
	STYPE = float8[],
	COMBINEFUNC = bpnn_feature_stats_combinefn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_feature_stats(float8[], boolean) IS
	'per-feature statistics for the scalers: {rows, skipped rows, then count, min, max, mean, M2 of each feature}';

-- ---------------------------------------------------------------------------
-- Per-group training (src/group.c)
-- ---------------------------------------------------------------------------

CREATE FUNCTION bpnn_fit_transfn(internal, float8[], anyelement, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION bpnn_fit_finalfn(internal) RETURNS bpnn_model
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;

CREATE AGGREGATE bpnn_fit(features float8[], label anyelement, options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	FINALFUNC = bpnn_fit_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], anyelement, jsonb) IS
	'trains a model on the rows it aggregates (one per group); options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';
