-- bpnn_onnx (src/onnx.c): the ONNX file's bytes are the same on every
-- call and after a text round trip of the model, its header fields
-- (protobuf: IR version, producer, opset, graph input and outputs, the
-- operators each activation and loss needs), its length (which follows
-- from the layer sizes alone, not from the weights' values), and the
-- errors.  Running the file in an ONNX runtime: test/t/013_onnx.pl.
-- Uses iris, concrete and credit (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/concrete.sql
\i test/fixtures/credit.sql
\set ECHO all
SET client_min_messages = warning;

-- does the file hold these bytes (a protobuf field, a name)?
CREATE FUNCTION pg_temp.has(f bytea, part bytea) RETURNS bool
	LANGUAGE sql IMMUTABLE AS 'SELECT position(part IN f) > 0';
CREATE FUNCTION pg_temp.has(f bytea, part text) RETURNS bool
	LANGUAGE sql IMMUTABLE AS 'SELECT position(convert_to(part, ''UTF8'') IN f) > 0';

CREATE TABLE onnx_models AS
SELECT 'bipolar' AS name, bpnn_train('iris', 'label', hidden => '{8}', epochs => 5) AS model
UNION ALL SELECT 'tanh', bpnn_train('iris', 'label', hidden => '{8, 4}', epochs => 5, activation => 'tanh')
UNION ALL SELECT 'sigmoid', bpnn_train('iris', 'label', hidden => '{8}', epochs => 5, activation => 'sigmoid')
UNION ALL SELECT 'relu', bpnn_train('iris', 'label', hidden => '{8}', epochs => 5, activation => 'relu')
UNION ALL SELECT 'softmax', bpnn_train('iris', 'label', hidden => '{8}', epochs => 5, loss => 'cross_entropy')
UNION ALL SELECT 'regressor', bpnn_train('concrete', 'compressive_strength', hidden => '{8}', epochs => 5,
                                         task => 'regression')
UNION ALL SELECT 'impute', bpnn_train('credit', 'label', hidden => '{8}', epochs => 5, missing => 'impute',
                                      features => ARRAY['seniority', 'time', 'age', 'expenses', 'income',
                                                        'assets', 'debt', 'amount', 'price']);
CREATE TABLE onnx_files AS SELECT name, model, bpnn_onnx(model) AS f FROM onnx_models;

-- the same bytes on every call, and for the model read back from its text
-- and binary forms
SELECT name, bool_and(f = bpnn_onnx(model)) AS same_again,
       bool_and(f = bpnn_onnx(model::text::bpnn_model)) AS same_after_text,
       bool_and(f = bpnn_onnx(model::bytea::bpnn_model)) AS same_after_binary
FROM onnx_files GROUP BY name ORDER BY name;

-- ModelProto: field 1 (ir_version) = 8 first, producer "bpnn" 0.4.0, one
-- opset import of the default domain at version 13 (field 8: domain "",
-- version 13), the input "features" and a dimension named "N"
SELECT name, get_byte(f, 0) = 8 AND get_byte(f, 1) = 8 AS ir_version_8,
       pg_temp.has(f, '\x120462706e6e'::bytea) AS producer_bpnn,
       pg_temp.has(f, '\x1a05302e342e30'::bytea) AS producer_version,
       pg_temp.has(f, '\x42040a00100d'::bytea) AS opset_13,
       pg_temp.has(f, '\x0a086665617475726573'::bytea) AS input_features,
       pg_temp.has(f, '\x12014e'::bytea) AS dim_n
FROM onnx_files ORDER BY name;

-- the outputs: a classifier's probabilities and label, a regressor's value
-- (a value_info's name is field 1 of a message: 0a, its length, the name)
SELECT name, pg_temp.has(f, '\x0a0d'::bytea || convert_to('probabilities', 'UTF8')) AS probabilities,
       pg_temp.has(f, '\x0a05'::bytea || convert_to('label', 'UTF8')) AS label,
       pg_temp.has(f, '\x0a05'::bytea || convert_to('value', 'UTF8')) AS value,
       pg_temp.has(f, 'bpnn.classes') AS classes_metadata
FROM onnx_files ORDER BY name;

-- the operators: each activation's, softmax where the loss is cross-entropy,
-- the squared-error outputs' mapping to probabilities, imputation
SELECT name, pg_temp.has(f, 'Tanh') AS tanh, pg_temp.has(f, 'bipolar_half') AS half,
       pg_temp.has(f, 'Sigmoid') AS sigmoid, pg_temp.has(f, 'Relu') AS relu,
       pg_temp.has(f, 'Softmax') AS softmax, pg_temp.has(f, 'ReduceSum') AS reduce_sum,
       pg_temp.has(f, 'IsNaN') AS is_nan, pg_temp.has(f, 'ArgMax') AS argmax
FROM onnx_files ORDER BY name;

-- the length follows from the layer sizes: each weight four bytes, each
-- scaler value eight, and the rest
SELECT name, bpnn_info(model)->'layers' AS layers, octet_length(f) AS bytes,
       octet_length(f) > 4 * (SELECT sum(((bpnn_info(model)->'layers'->>i)::int + 1)
                                         * (bpnn_info(model)->'layers'->>(i + 1))::int)
                              FROM generate_series(0, jsonb_array_length(bpnn_info(model)->'layers') - 2) i)
                         + 16 * jsonb_array_length(bpnn_info(model)->'features') AS holds_weights_and_scalers
FROM onnx_files ORDER BY name;

-- a model whose features include text columns (one-hot encoded): refused,
-- as the float8[] form of bpnn_predict refuses it
SELECT bpnn_onnx(bpnn_train('credit', 'label', hidden => '{4}', epochs => 1, missing => 'impute'));
-- an imputing model whose imputed value is beyond float4 (crafted: training
-- never makes one) cannot even be read (the graph carried infinity for it)
SELECT bpnn_onnx(jsonb_set(bpnn_model_to_jsonb(bpnn_train('iris', 'label', hidden => '{4}', epochs => 1,
                                                          missing => 'impute')),
                           '{impute}', '[1e300, 3, 1, 1]')::bpnn_model);
-- STRICT: NULL in, NULL out
SELECT bpnn_onnx(NULL) IS NULL AS null_is_null;
