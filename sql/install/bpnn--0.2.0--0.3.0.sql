-- bpnn upgrade script 0.2.0 -> 0.3.0: what 0.3.0 changes in 0.2.0.
-- After ALTER EXTENSION bpnn UPDATE, a database holds exactly what
-- CREATE EXTENSION bpnn (version 0.3.0) creates; test/t/upgrade.sh checks that.

\echo Use "ALTER EXTENSION bpnn UPDATE TO '0.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
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
