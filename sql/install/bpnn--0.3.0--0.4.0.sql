-- bpnn upgrade script 0.3.0 -> 0.4.0: what 0.4.0 changes in 0.3.0.
-- CREATE EXTENSION bpnn runs the 0.1.0 install script and every update
-- script after it, this one last; test/t/008_upgrade.pl checks that an update
-- from each earlier version leaves the same catalog as a fresh install.
-- Sections name their topic; the Security section stays the last.

\echo Use "ALTER EXTENSION bpnn UPDATE TO '0.4.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Live progress: bpnn_progress() (issue 13, item 5)
-- ---------------------------------------------------------------------------
-- Trainings and cross-validations publish their progress in their backend's
-- progress slot (src/live_progress.c); bpnn_progress() reads the slots of
-- the roles whose queries pg_stat_activity would show the caller.
CREATE FUNCTION bpnn_progress(
	OUT pid int4, OUT leader_pid int4, OUT datname name, OUT command text,
	OUT source regclass, OUT phase text, OUT fold int4, OUT folds int4,
	OUT epoch int4, OUT epochs int4, OUT loss float8, OUT rows int8,
	OUT rows_per_second float8, OUT elapsed interval, OUT time_left interval)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'bpnn_live_progress' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION bpnn_progress() IS
	'the trainings (bpnn_train, bpnn_cross_validate, bpnn_fit) running now that pg_stat_activity would show you: pid, phase, epoch of epochs, loss, rows per second, elapsed and estimated time left';

-- Rows and drivers: strict row matching, the record form, forms that
-- drivers' untyped and varchar parameters resolve to, and the casts of
-- bpnn_model (src/predict.c, src/model_row.c, src/model.c, src/model_json.c)
-- ---------------------------------------------------------------------------
-- A jsonb row now has to carry every feature column of the model, with a
-- value of the column's kind: the same C functions, stricter (issue 13).
COMMENT ON FUNCTION bpnn_predict(bpnn_model, jsonb) IS
	'the class the model predicts for one row given as a JSON object of column values, e.g. to_jsonb(t): every feature column of the model must be a key (NULL if a value is null, unless the model imputes)';
COMMENT ON FUNCTION bpnn_predict_proba(bpnn_model, jsonb) IS
	'one probability per class for one row given as a JSON object of column values: every feature column of the model must be a key';

-- missing_keys => 'impute': an imputing model imputes the columns a row lacks
CREATE FUNCTION bpnn_predict(model bpnn_model, features jsonb, missing_keys text) RETURNS text
	AS 'MODULE_PATHNAME', 'bpnn_predict_row' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict(bpnn_model, jsonb, text) IS
	'bpnn_predict of a jsonb row; missing_keys => ''impute'' lets a model trained with missing => ''impute'' impute the columns the row lacks (''error'': they are an error)';
CREATE FUNCTION bpnn_predict_proba(model bpnn_model, features jsonb, missing_keys text) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_proba_row' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_proba(bpnn_model, jsonb, text) IS
	'bpnn_predict_proba of a jsonb row; missing_keys => ''impute'' lets an imputing model impute the columns the row lacks';

-- the record form: bpnn_predict(m, t) on a table's row type, by column name
CREATE FUNCTION bpnn_predict(model bpnn_model, features record) RETURNS text
	AS 'MODULE_PATHNAME', 'bpnn_predict_record' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict(bpnn_model, record) IS
	'the class the model predicts for one row of a table or query, e.g. bpnn_predict(m, t): its columns matched by name, every feature column of the model required';
CREATE FUNCTION bpnn_predict_proba(model bpnn_model, features record) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_proba_record' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_proba(bpnn_model, record) IS
	'one probability per class for one row of a table or query, its columns matched by name';
CREATE FUNCTION bpnn_predict(model bpnn_model, features record, missing_keys text) RETURNS text
	AS 'MODULE_PATHNAME', 'bpnn_predict_record' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict(bpnn_model, record, text) IS
	'bpnn_predict of a record; missing_keys => ''impute'' lets an imputing model impute the columns the row lacks';
CREATE FUNCTION bpnn_predict_proba(model bpnn_model, features record, missing_keys text) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_proba_record' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_proba(bpnn_model, record, text) IS
	'bpnn_predict_proba of a record; missing_keys => ''impute'' lets an imputing model impute the columns the row lacks';

-- The text form: what an untyped parameter (psycopg2, ODBC ?, JDBC with
-- stringtype=unspecified) and a varchar one (JDBC setString) resolve to.
-- PostgreSQL's rule for an unknown argument picks the string category when
-- a candidate has it, so float8[], jsonb and record no longer tie.  A JSON
-- object is read as the jsonb form, anything else as a float8[] literal.
CREATE FUNCTION bpnn_predict(model bpnn_model, features text) RETURNS text
	AS 'MODULE_PATHNAME', 'bpnn_predict_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict(bpnn_model, text) IS
	'bpnn_predict of a row given as text, as drivers send untyped and string parameters: a JSON object of column values, or else a float8[] literal such as ''{5.1, 3.5, 1.4, 0.2}''';
CREATE FUNCTION bpnn_predict_proba(model bpnn_model, features text) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_proba_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_proba(bpnn_model, text) IS
	'bpnn_predict_proba of a row given as text: a JSON object of column values, or else a float8[] literal';
CREATE FUNCTION bpnn_predict(model bpnn_model, features text, missing_keys text) RETURNS text
	AS 'MODULE_PATHNAME', 'bpnn_predict_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict(bpnn_model, text, text) IS
	'bpnn_predict of a row given as text; missing_keys => ''impute'' lets an imputing model impute the columns a JSON row lacks';
CREATE FUNCTION bpnn_predict_proba(model bpnn_model, features text, missing_keys text) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_proba_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_proba(bpnn_model, text, text) IS
	'bpnn_predict_proba of a row given as text; missing_keys => ''impute'' lets an imputing model impute the columns a JSON row lacks';

-- ODBC's ARRAY[?, ?, ?, ?] of untyped parameters is a text[]
CREATE FUNCTION bpnn_predict(model bpnn_model, features text[]) RETURNS text
	AS 'MODULE_PATHNAME', 'bpnn_predict_text_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict(bpnn_model, text[]) IS
	'bpnn_predict of features given as text, each element read as float8 (as ODBC sends ARRAY[?, ?, ...]), in bpnn_info(model)->''features'' order';
CREATE FUNCTION bpnn_predict_proba(model bpnn_model, features text[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_proba_text_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_proba(bpnn_model, text[]) IS
	'bpnn_predict_proba of features given as text, each element read as float8';

-- Casts.  Into bpnn_model they are assignment casts, so a driver can write
-- a model column from a string (JDBC setString is varchar), a bytea or a
-- jsonb; out of it they are explicit.  Each validates as the type's input
-- of that form does: bytea exactly as the binary receive function.
CREATE CAST (text AS bpnn_model) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (text AS bpnn_model) IS 'reads a bpnn_model from its JSON text form';
CREATE CAST (varchar AS bpnn_model) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (varchar AS bpnn_model) IS 'reads a bpnn_model from its JSON text form';

CREATE FUNCTION bpnn_model_from_bytea(bytea) RETURNS bpnn_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_model_from_bytea(bytea) IS
	'reads a bpnn_model from its binary form (what bpnn_model_send and binary COPY give), validated as bpnn_model_recv validates';
CREATE CAST (bytea AS bpnn_model) WITH FUNCTION bpnn_model_from_bytea(bytea) AS ASSIGNMENT;
COMMENT ON CAST (bytea AS bpnn_model) IS 'reads a bpnn_model from its binary form';
CREATE CAST (bpnn_model AS bytea) WITH FUNCTION bpnn_model_send(bpnn_model);
COMMENT ON CAST (bpnn_model AS bytea) IS 'a bpnn_model''s binary form (its stored bytes, in network byte order)';

CREATE FUNCTION bpnn_model_from_jsonb(jsonb) RETURNS bpnn_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_model_from_jsonb(jsonb) IS
	'reads a bpnn_model from the JSON document of its text form, validated as bpnn_model_in validates';
CREATE CAST (jsonb AS bpnn_model) WITH FUNCTION bpnn_model_from_jsonb(jsonb) AS ASSIGNMENT;
COMMENT ON CAST (jsonb AS bpnn_model) IS 'reads a bpnn_model from the JSON document of its text form';
CREATE FUNCTION bpnn_model_to_jsonb(bpnn_model) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_model_to_jsonb(bpnn_model) IS
	'a bpnn_model as the JSON document of its text form, weights included';
CREATE CAST (bpnn_model AS jsonb) WITH FUNCTION bpnn_model_to_jsonb(bpnn_model);
COMMENT ON CAST (bpnn_model AS jsonb) IS 'a bpnn_model as the JSON document of its text form';

-- Feature choice, labels and smaller points (issue 13, items 1, 3 and 7)
-- ---------------------------------------------------------------------------
-- bpnn_train and bpnn_cross_validate gain exclude (columns the default
-- choice of features leaves out) and max_classes (more distinct labels are
-- an error before training).  Both come last, so that positional calls of
-- 0.3.0 keep their meaning; named arguments work in any order.  A new
-- argument changes the signature: DROP and CREATE.
DROP FUNCTION bpnn_train(regclass, text, text[], int[], int, float8, float8, int, text, text,
                         float8, int, text, text, float8, float8, int, text, text);
CREATE FUNCTION bpnn_train(
	source regclass,
	label_col text,
	features text[] DEFAULT NULL,
	hidden int[] DEFAULT '{64}',
	epochs int DEFAULT 200,
	learning_rate float8 DEFAULT 0.2,
	momentum float8 DEFAULT 0.7,
	batch_size int DEFAULT 32,
	activation text DEFAULT 'bipolar_sigmoid',
	normalization text DEFAULT 'zscore',
	init_range float8 DEFAULT 0.1,
	seed int DEFAULT 1,
	loss text DEFAULT 'squared_error',
	optimizer text DEFAULT 'momentum',
	weight_decay float8 DEFAULT 0,
	validation_fraction float8 DEFAULT 0,
	patience int DEFAULT 10,
	class_weights text DEFAULT NULL,
	missing text DEFAULT 'skip',
	exclude text[] DEFAULT NULL,
	max_classes int DEFAULT 1000)
RETURNS bpnn_model
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION bpnn_train(regclass, text, text[], int[], int, float8, float8, int, text, text,
                               float8, int, text, text, float8, float8, int, text, text, text[], int) IS
	'trains a backpropagation network that predicts label_col from the features of a table or view (by default every usable column but keys, free text, dates and those in exclude)';

DROP FUNCTION bpnn_cross_validate(regclass, text, int, text[], int[], int, float8, float8, int, text, text,
                                  float8, int, text, text, float8, float8, int, text, text);
CREATE FUNCTION bpnn_cross_validate(
	source regclass,
	label_col text,
	folds int DEFAULT 10,
	features text[] DEFAULT NULL,
	hidden int[] DEFAULT '{64}',
	epochs int DEFAULT 200,
	learning_rate float8 DEFAULT 0.2,
	momentum float8 DEFAULT 0.7,
	batch_size int DEFAULT 32,
	activation text DEFAULT 'bipolar_sigmoid',
	normalization text DEFAULT 'zscore',
	init_range float8 DEFAULT 0.1,
	seed int DEFAULT 1,
	loss text DEFAULT 'squared_error',
	optimizer text DEFAULT 'momentum',
	weight_decay float8 DEFAULT 0,
	validation_fraction float8 DEFAULT 0,
	patience int DEFAULT 10,
	class_weights text DEFAULT NULL,
	missing text DEFAULT 'skip',
	exclude text[] DEFAULT NULL,
	max_classes int DEFAULT 1000)
RETURNS TABLE (fold int, train_rows bigint, test_rows bigint, accuracy float8, loss float8, seconds float8)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION bpnn_cross_validate(regclass, text, int, text[], int[], int, float8, float8, int, text, text,
                                        float8, int, text, text, float8, float8, int, text, text, text[], int) IS
	'stratified k-fold cross-validation of bpnn_train: each fold trained on the others and scored on its own rows (at least 2)';

-- A NULL gradient (bpnn_gradient over no rows) is an error rather than a
-- NULL model that would replace the one being trained
ALTER FUNCTION bpnn_apply_gradient(bpnn_model, bpnn_state, float8) CALLED ON NULL INPUT;

-- bpnn_fit in parallel (src/fit_aggregate_state.c): combine, serialize and
-- deserialize functions, so that a parallel plan runs it (Partial Aggregate
-- in each worker, Finalize Aggregate in the leader).  Combining
-- concatenates the partial states' rows; the final function trains on the
-- rows in a canonical order, so the model does not depend on the plan.
-- FINALFUNC_MODIFY = READ_WRITE, as core's ordered-set aggregates: the
-- final function sorts and normalizes the state's rows in place rather
-- than copy them, so a group takes bpnn.memory_limit and not twice that;
-- PostgreSQL then shares no state between aggregates and refuses bpnn_fit
-- as a window function (which trained once per row).
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
	FINALFUNC_MODIFY = READ_WRITE,
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
	FINALFUNC_MODIFY = READ_WRITE,
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
	FINALFUNC_MODIFY = READ_WRITE,
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
	FINALFUNC_MODIFY = READ_WRITE,
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
	FINALFUNC_MODIFY = READ_WRITE,
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
	FINALFUNC_MODIFY = READ_WRITE,
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
	FINALFUNC_MODIFY = READ_WRITE,
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
	FINALFUNC_MODIFY = READ_WRITE,
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
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], oid, jsonb) IS
	'trains a model on the rows it aggregates (one per group, in parallel workers too), for a label of type oid; options are bpnn_train''s arguments as JSON, e.g. ''{"hidden": [8], "epochs": 100}''';

-- ---------------------------------------------------------------------------
-- Regression (issue 14): numeric labels, task => 'regression'
-- (src/train_setup.c, src/train_memory.c, src/scan.c, src/regression.c, src/predict.c)
-- ---------------------------------------------------------------------------
-- bpnn_train and bpnn_cross_validate gain task ('classification' by
-- default, or 'regression': a linear output unit, squared error, the target
-- standardized and its mean and scale stored in the model).  It comes last,
-- so that positional calls keep their meaning: DROP and CREATE again.
-- bpnn_cross_validate's result gains rmse and r2 (NULL for a classifier;
-- accuracy is NULL for a regressor, whose loss is the mean squared error in
-- the label's units): new columns at the end, the old ones unchanged.
DROP FUNCTION bpnn_train(regclass, text, text[], int[], int, float8, float8, int, text, text,
                         float8, int, text, text, float8, float8, int, text, text, text[], int);
CREATE FUNCTION bpnn_train(
	source regclass,
	label_col text,
	features text[] DEFAULT NULL,
	hidden int[] DEFAULT '{64}',
	epochs int DEFAULT 200,
	learning_rate float8 DEFAULT 0.2,
	momentum float8 DEFAULT 0.7,
	batch_size int DEFAULT 32,
	activation text DEFAULT 'bipolar_sigmoid',
	normalization text DEFAULT 'zscore',
	init_range float8 DEFAULT 0.1,
	seed int DEFAULT 1,
	loss text DEFAULT 'squared_error',
	optimizer text DEFAULT 'momentum',
	weight_decay float8 DEFAULT 0,
	validation_fraction float8 DEFAULT 0,
	patience int DEFAULT 10,
	class_weights text DEFAULT NULL,
	missing text DEFAULT 'skip',
	exclude text[] DEFAULT NULL,
	max_classes int DEFAULT 1000,
	task text DEFAULT 'classification')
RETURNS bpnn_model
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION bpnn_train(regclass, text, text[], int[], int, float8, float8, int, text, text,
                               float8, int, text, text, float8, float8, int, text, text, text[], int, text) IS
	'trains a backpropagation network that predicts label_col from the features of a table or view (by default every usable column but keys, free text, dates and those in exclude): a classifier, or with task => ''regression'' a regressor of a numeric label';

DROP FUNCTION bpnn_cross_validate(regclass, text, int, text[], int[], int, float8, float8, int, text, text,
                                  float8, int, text, text, float8, float8, int, text, text, text[], int);
CREATE FUNCTION bpnn_cross_validate(
	source regclass,
	label_col text,
	folds int DEFAULT 10,
	features text[] DEFAULT NULL,
	hidden int[] DEFAULT '{64}',
	epochs int DEFAULT 200,
	learning_rate float8 DEFAULT 0.2,
	momentum float8 DEFAULT 0.7,
	batch_size int DEFAULT 32,
	activation text DEFAULT 'bipolar_sigmoid',
	normalization text DEFAULT 'zscore',
	init_range float8 DEFAULT 0.1,
	seed int DEFAULT 1,
	loss text DEFAULT 'squared_error',
	optimizer text DEFAULT 'momentum',
	weight_decay float8 DEFAULT 0,
	validation_fraction float8 DEFAULT 0,
	patience int DEFAULT 10,
	class_weights text DEFAULT NULL,
	missing text DEFAULT 'skip',
	exclude text[] DEFAULT NULL,
	max_classes int DEFAULT 1000,
	task text DEFAULT 'classification')
RETURNS TABLE (fold int, train_rows bigint, test_rows bigint, accuracy float8, loss float8, seconds float8,
               rmse float8, r2 float8)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION bpnn_cross_validate(regclass, text, int, text[], int[], int, float8, float8, int, text, text,
                                        float8, int, text, text, float8, float8, int, text, text, text[], int, text) IS
	'k-fold cross-validation of bpnn_train, stratified for a classifier (accuracy, loss), plain for a regressor (rmse, r2, loss = mean squared error): each fold trained on the others and scored on its own rows (at least 2)';

-- A regressor's prediction, in the label's units, in every form of a row
-- that bpnn_predict takes
CREATE FUNCTION bpnn_predict_value(model bpnn_model, features float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'bpnn_predict_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_value(bpnn_model, float8[]) IS
	'the prediction of a regressor (task => regression) for one row of features in bpnn_info(model)->features order, in the labels units';
CREATE FUNCTION bpnn_predict_value(model bpnn_model, features jsonb) RETURNS float8
	AS 'MODULE_PATHNAME', 'bpnn_predict_value_row' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_value(bpnn_model, jsonb) IS
	'the prediction of a regressor for one row given as a JSON object of column values, e.g. to_jsonb(t): every feature column of the model must be a key';
CREATE FUNCTION bpnn_predict_value(model bpnn_model, features jsonb, missing_keys text) RETURNS float8
	AS 'MODULE_PATHNAME', 'bpnn_predict_value_row' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_value(bpnn_model, jsonb, text) IS
	'bpnn_predict_value of a jsonb row; missing_keys => impute lets an imputing model impute the columns the row lacks';
CREATE FUNCTION bpnn_predict_value(model bpnn_model, features record) RETURNS float8
	AS 'MODULE_PATHNAME', 'bpnn_predict_value_record' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_value(bpnn_model, record) IS
	'the prediction of a regressor for one row of a table or query, e.g. bpnn_predict_value(m, t): its columns matched by name';
CREATE FUNCTION bpnn_predict_value(model bpnn_model, features record, missing_keys text) RETURNS float8
	AS 'MODULE_PATHNAME', 'bpnn_predict_value_record' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_value(bpnn_model, record, text) IS
	'bpnn_predict_value of a record; missing_keys => impute lets an imputing model impute the columns the row lacks';
CREATE FUNCTION bpnn_predict_value(model bpnn_model, features text) RETURNS float8
	AS 'MODULE_PATHNAME', 'bpnn_predict_value_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_value(bpnn_model, text) IS
	'bpnn_predict_value of a row given as text, as drivers send untyped and string parameters: a JSON object of column values, or else a float8[] literal';
CREATE FUNCTION bpnn_predict_value(model bpnn_model, features text, missing_keys text) RETURNS float8
	AS 'MODULE_PATHNAME', 'bpnn_predict_value_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_value(bpnn_model, text, text) IS
	'bpnn_predict_value of a row given as text; missing_keys => impute lets an imputing model impute the columns a JSON row lacks';
CREATE FUNCTION bpnn_predict_value(model bpnn_model, features text[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'bpnn_predict_value_text_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_value(bpnn_model, text[]) IS
	'bpnn_predict_value of features given as text, each element read as float8 (as ODBC sends ARRAY[?, ?, ...])';

-- A regressor of a float8[] label (one output per element): every
-- prediction as float8[]
CREATE FUNCTION bpnn_predict_values(model bpnn_model, features float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_values' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_values(bpnn_model, float8[]) IS
	'every prediction of a regressor, one per element of its float8[] label (one for a number label), for one row of features in bpnn_info(model)->features order, in the labels units';
CREATE FUNCTION bpnn_predict_values(model bpnn_model, features jsonb) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_values_row' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_values(bpnn_model, jsonb) IS
	'bpnn_predict_values of one row given as a JSON object of column values: every feature column of the model must be a key';
CREATE FUNCTION bpnn_predict_values(model bpnn_model, features jsonb, missing_keys text) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_values_row' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_values(bpnn_model, jsonb, text) IS
	'bpnn_predict_values of a jsonb row; missing_keys => impute lets an imputing model impute the columns the row lacks';
CREATE FUNCTION bpnn_predict_values(model bpnn_model, features record) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_values_record' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_values(bpnn_model, record) IS
	'bpnn_predict_values of one row of a table or query, its columns matched by name';
CREATE FUNCTION bpnn_predict_values(model bpnn_model, features record, missing_keys text) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_values_record' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_values(bpnn_model, record, text) IS
	'bpnn_predict_values of a record; missing_keys => impute lets an imputing model impute the columns the row lacks';
CREATE FUNCTION bpnn_predict_values(model bpnn_model, features text) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_values_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_values(bpnn_model, text) IS
	'bpnn_predict_values of a row given as text: a JSON object of column values, or else a float8[] literal';
CREATE FUNCTION bpnn_predict_values(model bpnn_model, features text, missing_keys text) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_values_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_values(bpnn_model, text, text) IS
	'bpnn_predict_values of a row given as text; missing_keys => impute lets an imputing model impute the columns a JSON row lacks';
CREATE FUNCTION bpnn_predict_values(model bpnn_model, features text[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_values_text_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_values(bpnn_model, text[]) IS
	'bpnn_predict_values of features given as text, each element read as float8';

-- ---------------------------------------------------------------------------
-- bpnn_search (issue 15): which settings are best.  A grid of options (a
-- JSON object of arrays, named as bpnn_train's arguments) gives settings;
-- each is cross-validated on the same stratified folds of one scan of the
-- source, and the settings come back best first; a setting whose training
-- fails comes last, with NULL figures and its error.  VOLATILE: it trains,
-- and reads a table.
-- ---------------------------------------------------------------------------
CREATE FUNCTION bpnn_search(
	source regclass,
	label_col text,
	grid jsonb,
	folds int DEFAULT 5,
	options jsonb DEFAULT '{}',
	features text[] DEFAULT NULL,
	exclude text[] DEFAULT NULL,
	trials int DEFAULT NULL,
	refit boolean DEFAULT false)
RETURNS TABLE (rank int, settings jsonb, accuracy float8, accuracy_stddev float8,
			   rmse float8, rmse_stddev float8, r2 float8, loss float8, seconds float8,
			   model bpnn_model, error text)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION bpnn_search(regclass, text, jsonb, int, jsonb, text[], text[], int, boolean) IS
	'cross-validates each setting of a grid of bpnn_train options (or trials of them drawn at random) on the same folds, best first; refit trains the best on every row; a setting whose training fails (a data exception or program limit) comes last with its error';

-- ---------------------------------------------------------------------------
-- Explanations (issue 15, item 3): bpnn_importance, bpnn_explain
-- (src/importance.c, src/explain.c, src/attribution.c)
-- ---------------------------------------------------------------------------
-- Permutation importance of each source column on a table, in one scan as
-- the calling user (as bpnn_evaluate: STABLE, PARALLEL RESTRICTED).
CREATE FUNCTION bpnn_importance(model bpnn_model, source regclass, label_col text,
	repeats int DEFAULT 5, seed bigint DEFAULT 1,
	OUT feature text, OUT importance float8, OUT stddev float8, OUT metric text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'bpnn_importance' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED ROWS 20;
COMMENT ON FUNCTION bpnn_importance(bpnn_model, regclass, text, int, bigint) IS
	'permutation importance of each source column of the model on a table or view: the drop in accuracy (a regressor: the rise in RMSE) when the column is shuffled, mean and standard deviation over repeats seeded shuffles, most important first';

-- Integrated gradients of one row, in every form of a row that bpnn_predict
-- takes: a function of the model and the row alone, as bpnn_predict
CREATE FUNCTION bpnn_explain(model bpnn_model, features float8[]) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'bpnn_explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_explain(bpnn_model, float8[]) IS
	'why the model predicts what it does for one row of features in bpnn_info(model)->features order: each input''s contribution to the predicted class''s probability (a regressor: its value) by integrated gradients from the training means, as jsonb sorted by |contribution|';
CREATE FUNCTION bpnn_explain(model bpnn_model, features jsonb) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'bpnn_explain_row' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_explain(bpnn_model, jsonb) IS
	'bpnn_explain of a row given as a JSON object of column values, e.g. to_jsonb(t): every feature column of the model must be a key';
CREATE FUNCTION bpnn_explain(model bpnn_model, features jsonb, missing_keys text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'bpnn_explain_row' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_explain(bpnn_model, jsonb, text) IS
	'bpnn_explain of a jsonb row; missing_keys => ''impute'' lets an imputing model impute the columns the row lacks';
CREATE FUNCTION bpnn_explain(model bpnn_model, features record) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'bpnn_explain_record' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_explain(bpnn_model, record) IS
	'bpnn_explain of a row of a table or query, e.g. bpnn_explain(m, t): its columns matched by name';
CREATE FUNCTION bpnn_explain(model bpnn_model, features record, missing_keys text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'bpnn_explain_record' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_explain(bpnn_model, record, text) IS
	'bpnn_explain of a record; missing_keys => ''impute'' lets an imputing model impute the columns the row lacks';
CREATE FUNCTION bpnn_explain(model bpnn_model, features text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'bpnn_explain_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_explain(bpnn_model, text) IS
	'bpnn_explain of a row given as text, as drivers send untyped parameters: a JSON object of column values, or else a float8[] literal';
CREATE FUNCTION bpnn_explain(model bpnn_model, features text, missing_keys text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'bpnn_explain_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_explain(bpnn_model, text, text) IS
	'bpnn_explain of a row given as text; missing_keys => ''impute'' lets an imputing model impute the columns the row lacks';
CREATE FUNCTION bpnn_explain(model bpnn_model, features text[]) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'bpnn_explain_text_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_explain(bpnn_model, text[]) IS
	'bpnn_explain of features given as text, each element read as float8 (as ODBC sends ARRAY[?, ?, ...])';

-- ---------------------------------------------------------------------------
-- ONNX export (issue 15, item 4; src/onnx.c, src/onnx_proto.c)
-- ---------------------------------------------------------------------------
-- The model as an ONNX ModelProto (IR version 8, opset 13): input
-- "features" float [N, features]; outputs "probabilities" float
-- [N, classes] and "label" string [N] (a classifier) or "value" float
-- [N, outputs] (a regressor).  docs/onnx.md.
CREATE FUNCTION bpnn_onnx(model bpnn_model) RETURNS bytea
	AS 'MODULE_PATHNAME', 'bpnn_onnx' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_onnx(bpnn_model) IS
	'the model as an ONNX file (IR version 8, opset 13) for scoring outside the database: input features float [N, features] in bpnn_info(model)->features order; outputs probabilities float [N, classes] and label string [N], or value float [N, outputs] for a regressor; models with text feature columns are refused';

-- ---------------------------------------------------------------------------
-- Regressors of several outputs on every path (issue 14): bpnn_fit of a
-- float8[] label with {"task": "regression"} (src/fit_aggregate.c), one output per
-- element.  (bpnn_gradient, bpnn_train_epoch and streaming take them
-- through the label's text: nothing to declare.)
-- ---------------------------------------------------------------------------
CREATE FUNCTION bpnn_fit_transfn(internal, float8[], float8[], jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'bpnn_fit_transfn_float8_array' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_fit_transfn(internal, float8[], float8[], jsonb) IS
	'transition function of bpnn_fit for a label of type float8[] (a regressor of one output per element): packs one row';
CREATE AGGREGATE bpnn_fit(features float8[], label float8[], options jsonb) (
	SFUNC = bpnn_fit_transfn,
	STYPE = internal,
	COMBINEFUNC = bpnn_fit_combinefn,
	SERIALFUNC = bpnn_fit_serializefn,
	DESERIALFUNC = bpnn_fit_deserializefn,
	FINALFUNC = bpnn_fit_finalfn,
	FINALFUNC_MODIFY = READ_WRITE,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bpnn_fit(float8[], float8[], jsonb) IS
	'trains a regressor of several outputs on the rows it aggregates (one per group, in parallel workers too), for a label of type float8[]; options are bpnn_train''s arguments as JSON and must include "task": "regression"';

-- ---------------------------------------------------------------------------
-- Warm start (issue 15, item 1): continue a model's training
-- (src/warm_start.c, src/train.c, src/fit.c, model format 5 in src/model.c)
-- ---------------------------------------------------------------------------
-- bpnn_train gains init_model and keep_state (last, so that positional
-- calls keep their meaning: DROP and CREATE again); bpnn_fit takes them as
-- the options "init_model" and "keep_state".  keep_state => true stores
-- the trainer's state in the model (format 5), so that continuing it is
-- exactly one longer training; bpnn_drop_state removes it.
DROP FUNCTION bpnn_train(regclass, text, text[], int[], int, float8, float8, int, text, text,
                         float8, int, text, text, float8, float8, int, text, text, text[], int, text);
CREATE FUNCTION bpnn_train(
	source regclass,
	label_col text,
	features text[] DEFAULT NULL,
	hidden int[] DEFAULT '{64}',
	epochs int DEFAULT 200,
	learning_rate float8 DEFAULT 0.2,
	momentum float8 DEFAULT 0.7,
	batch_size int DEFAULT 32,
	activation text DEFAULT 'bipolar_sigmoid',
	normalization text DEFAULT 'zscore',
	init_range float8 DEFAULT 0.1,
	seed int DEFAULT 1,
	loss text DEFAULT 'squared_error',
	optimizer text DEFAULT 'momentum',
	weight_decay float8 DEFAULT 0,
	validation_fraction float8 DEFAULT 0,
	patience int DEFAULT 10,
	class_weights text DEFAULT NULL,
	missing text DEFAULT 'skip',
	exclude text[] DEFAULT NULL,
	max_classes int DEFAULT 1000,
	task text DEFAULT 'classification',
	init_model bpnn_model DEFAULT NULL,
	keep_state boolean DEFAULT false)
RETURNS bpnn_model
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION bpnn_train(regclass, text, text[], int[], int, float8, float8, int, text, text,
                               float8, int, text, text, float8, float8, int, text, text, text[], int, text,
                               bpnn_model, boolean) IS
	'trains a backpropagation network that predicts label_col from the features of a table or view (by default every usable column but keys, free text, dates and those in exclude): a classifier, or with task => ''regression'' a regressor of a numeric label; with init_model, continues that model for epochs more; keep_state => true stores what continuing it exactly needs';

CREATE FUNCTION bpnn_drop_state(model bpnn_model) RETURNS bpnn_model
	AS 'MODULE_PATHNAME', 'bpnn_drop_state' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_drop_state(bpnn_model) IS
	'the model without the trainer state that continuing its training (init_model) uses: smaller, with the same predictions';

-- ---------------------------------------------------------------------------
-- Follow-ups (follow6): the record forms are STABLE; bpnn_importance reports
-- its progress (src/model_row.c, src/importance.c, src/live_progress.c)
-- ---------------------------------------------------------------------------
-- A record is read by its columns' names and, for a one-hot column of an
-- enum type, by its output function: ALTER TABLE ... RENAME COLUMN, ALTER
-- TYPE ... RENAME ATTRIBUTE and ALTER TYPE ... RENAME VALUE change what the
-- same stored row gives (an error, or another prediction), as they change
-- record_out and to_jsonb, which are STABLE.  The float8[], jsonb, text and
-- text[] forms read nothing but their arguments and stay IMMUTABLE: those
-- are the forms for an expression index or a generated column.
ALTER FUNCTION bpnn_predict(bpnn_model, record) STABLE;
ALTER FUNCTION bpnn_predict(bpnn_model, record, text) STABLE;
ALTER FUNCTION bpnn_predict_proba(bpnn_model, record) STABLE;
ALTER FUNCTION bpnn_predict_proba(bpnn_model, record, text) STABLE;
ALTER FUNCTION bpnn_predict_value(bpnn_model, record) STABLE;
ALTER FUNCTION bpnn_predict_value(bpnn_model, record, text) STABLE;
ALTER FUNCTION bpnn_predict_values(bpnn_model, record) STABLE;
ALTER FUNCTION bpnn_predict_values(bpnn_model, record, text) STABLE;
ALTER FUNCTION bpnn_explain(bpnn_model, record) STABLE;
ALTER FUNCTION bpnn_explain(bpnn_model, record, text) STABLE;

-- bpnn_importance shows in bpnn_progress(): its scoring passes as epochs
COMMENT ON FUNCTION bpnn_progress() IS
	'the trainings (bpnn_train, bpnn_cross_validate, bpnn_fit, bpnn_search) and bpnn_importance calls running now that pg_stat_activity would show you: pid, phase, epoch of epochs, loss, rows per second, elapsed and estimated time left';

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
