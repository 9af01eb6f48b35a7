-- bpnn 0.1.0 install script, as released.  CREATE EXTENSION bpnn runs it
-- and then the update scripts that follow it, in order, up to the control
-- file's default_version.  Sections follow the files in src/.

\echo Use "CREATE EXTENSION bpnn" to load this file. \quit

-- ---------------------------------------------------------------------------
-- The model type (src/model.c, src/model_json.c)
-- ---------------------------------------------------------------------------

CREATE TYPE bpnn_model;

CREATE FUNCTION bpnn_model_in(cstring) RETURNS bpnn_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bpnn_model_out(bpnn_model) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bpnn_model_recv(internal) RETURNS bpnn_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bpnn_model_send(bpnn_model) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- weights barely compress: store large models out of line, uncompressed
CREATE TYPE bpnn_model (
	INPUT = bpnn_model_in,
	OUTPUT = bpnn_model_out,
	RECEIVE = bpnn_model_recv,
	SEND = bpnn_model_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = external
);

COMMENT ON TYPE bpnn_model IS
	'a trained backpropagation network: layout, weights, normalization, classes and training record';
COMMENT ON FUNCTION bpnn_model_in(cstring) IS 'reads a bpnn_model from its JSON text form';
COMMENT ON FUNCTION bpnn_model_out(bpnn_model) IS 'writes a bpnn_model as JSON text (exact round trip)';
COMMENT ON FUNCTION bpnn_model_recv(internal) IS 'reads a bpnn_model from its binary form';
COMMENT ON FUNCTION bpnn_model_send(bpnn_model) IS 'writes a bpnn_model in binary form';

-- ---------------------------------------------------------------------------
-- Training (src/train.c, src/scan.c, src/normalize.c, src/fit.c, src/nn.c)
-- ---------------------------------------------------------------------------

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
	missing text DEFAULT 'skip')
RETURNS bpnn_model
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION bpnn_train(regclass, text, text[], int[], int, float8, float8, int, text, text, float8, int,
                               text, text, float8, float8, int, text, text) IS
	'trains a backpropagation network that predicts label_col from the features of a table or view';

-- ---------------------------------------------------------------------------
-- Prediction and inspection (src/predict.c)
-- ---------------------------------------------------------------------------

CREATE FUNCTION bpnn_predict(model bpnn_model, features float8[]) RETURNS text
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict(bpnn_model, float8[]) IS
	'the class the model predicts for one row of features (NULL if a feature is NULL)';

CREATE FUNCTION bpnn_predict_proba(model bpnn_model, features float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_proba(bpnn_model, float8[]) IS
	'one probability per class, in bpnn_classes(model) order (NULL if a feature is NULL)';

CREATE FUNCTION bpnn_predict(model bpnn_model, features jsonb) RETURNS text
	AS 'MODULE_PATHNAME', 'bpnn_predict_row' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict(bpnn_model, jsonb) IS
	'the class the model predicts for one row given as a JSON object of column values, e.g. to_jsonb(t); text columns are one-hot encoded';

CREATE FUNCTION bpnn_predict_proba(model bpnn_model, features jsonb) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'bpnn_predict_proba_row' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_predict_proba(bpnn_model, jsonb) IS
	'one probability per class for one row given as a JSON object of column values';

CREATE FUNCTION bpnn_classes(model bpnn_model) RETURNS text[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_classes(bpnn_model) IS 'the classes a model predicts, in output order';

CREATE FUNCTION bpnn_info(model bpnn_model) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bpnn_info(bpnn_model) IS
	'everything about a model but its weights: layers, features, classes, normalization, training record';

-- ---------------------------------------------------------------------------
-- Evaluation (src/evaluate.c)
-- ---------------------------------------------------------------------------

CREATE FUNCTION bpnn_evaluate(model bpnn_model, source regclass, label_col text) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION bpnn_evaluate(bpnn_model, regclass, text) IS
	'accuracy, loss, per-class precision, recall, F1 and support, macro F1 and the confusion matrix of a model on a table or view';

CREATE FUNCTION bpnn_confusion(model bpnn_model, source regclass, label_col text,
	OUT actual text, OUT predicted text, OUT count bigint) RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED ROWS 100;
COMMENT ON FUNCTION bpnn_confusion(bpnn_model, regclass, text) IS
	'the confusion matrix of a model on a table or view, one row per (actual, predicted) pair';

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
	missing text DEFAULT 'skip')
RETURNS TABLE (fold int, train_rows bigint, test_rows bigint, accuracy float8, loss float8, seconds float8)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION bpnn_cross_validate(regclass, text, int, text[], int[], int, float8, float8, int, text, text, float8, int,
                                        text, text, float8, float8, int, text, text) IS
	'stratified k-fold cross-validation of bpnn_train: each fold trained on the others and scored on its own rows';
