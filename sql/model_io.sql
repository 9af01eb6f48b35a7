-- The bpnn_model type: its JSON text form, exact round trips (text and
-- binary COPY), and input that must be rejected.
-- Uses iris (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\set ECHO all
CREATE TABLE models (name text, model bpnn_model);
INSERT INTO models
SELECT 'small', bpnn_train('iris', 'label', hidden => '{8}', epochs => 20)
UNION ALL
SELECT 'deep relu', bpnn_train('iris', 'label', hidden => '{5,4}', epochs => 10,
                               activation => 'relu', normalization => 'decimal');

-- text round trip: identical document, identical predictions
SELECT name, model::text::bpnn_model::text = model::text AS text_round_trip,
       bpnn_predict_proba(model::text::bpnn_model, ARRAY[5.1, 3.5, 1.4, 0.2])
         = bpnn_predict_proba(model, ARRAY[5.1, 3.5, 1.4, 0.2]) AS same_proba
FROM models ORDER BY name;

-- the document's shape
SELECT jsonb_object_keys(model::text::jsonb) AS key FROM models WHERE name = 'small' ORDER BY 1;
SELECT name, model::text::jsonb->'layers' AS layers,
       (SELECT array_agg(jsonb_array_length(w)) FROM jsonb_array_elements(model::text::jsonb->'weights') w) AS weights_per_layer
FROM models ORDER BY name;

-- binary COPY uses send and recv: the values come back identical
\copy models TO 'results/models.bin' WITH (FORMAT binary)
CREATE TABLE models_copy (LIKE models);
\copy models_copy FROM 'results/models.bin' WITH (FORMAT binary)
SELECT a.name, a.model::text = b.model::text AS binary_round_trip
FROM models a JOIN models_copy b USING (name) ORDER BY 1;
-- the binary form starts with the signature "BPNN" and format version 5 (the current one)
SELECT DISTINCT substr(bpnn_model_send(model), 1, 8) FROM models;

-- bytes that are not a valid model, fed to recv through binary COPY
CREATE TABLE raw_bytes (b bytea);
INSERT INTO raw_bytes SELECT substr(bpnn_model_send(model), 1, 100) FROM models WHERE name = 'small';
\copy raw_bytes TO 'results/truncated.bin' WITH (FORMAT binary)
\copy models_copy (model) FROM 'results/truncated.bin' WITH (FORMAT binary)
TRUNCATE raw_bytes;
INSERT INTO raw_bytes
SELECT overlay(s placing '\x7f'::bytea from 200 for 1) FROM (SELECT bpnn_model_send(model) s FROM models WHERE name = 'small') x;
\copy raw_bytes TO 'results/flipped.bin' WITH (FORMAT binary)
\copy models_copy (model) FROM 'results/flipped.bin' WITH (FORMAT binary)
TRUNCATE raw_bytes;
INSERT INTO raw_bytes
SELECT overlay(s placing '\x0009'::bytea from 5 for 2) FROM (SELECT bpnn_model_send(model) s FROM models WHERE name = 'small') x;
\copy raw_bytes TO 'results/future.bin' WITH (FORMAT binary)
\copy models_copy (model) FROM 'results/future.bin' WITH (FORMAT binary)
TRUNCATE raw_bytes;
INSERT INTO raw_bytes VALUES ('\x00'), ('\x'), (decode(repeat('ff', 64), 'hex'));
\copy raw_bytes TO 'results/junk.bin' WITH (FORMAT binary)
\copy models_copy (model) FROM 'results/junk.bin' WITH (FORMAT binary)
SELECT count(*) FROM models_copy;

-- text that is not a valid model
SELECT 'x'::bpnn_model;
SELECT '{}'::bpnn_model;
SELECT '[1, 2]'::bpnn_model;
SELECT model::text AS doc FROM models WHERE name = 'small' \gset
SELECT jsonb_set(:'doc', '{format_version}', '6')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{layers}', '[4, 8, 4]')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{layers}', '[4]')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{layers,1}', '0')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{classes,1}', '"setosa"')::text::bpnn_model;
-- repeated names: the first name seen again is the one named
SELECT jsonb_set(jsonb_set(jsonb_set(jsonb_set(:'doc', '{columns,0,name}', '"c"'), '{columns,1,name}', '"d"'),
                 '{columns,2,name}', '"d"'), '{columns,3,name}', '"c"')::text::bpnn_model;
CREATE TABLE pets AS
SELECT (ARRAY['cat', 'dog', 'eel'])[1 + i % 3] AS pet, i::float8 AS n, (i % 2)::text AS label
FROM generate_series(1, 30) i;
SELECT jsonb_set(bpnn_train('pets', 'label', epochs => 1)::text::jsonb,
                 '{columns,0,values,2}', '"cat"')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{classes,1}', to_jsonb(repeat('x', 10001)))::text::bpnn_model;
SELECT jsonb_set(:'doc', '{training,source}', to_jsonb(repeat('x', 10001)))::text::bpnn_model;
SELECT jsonb_set(:'doc', '{training,source}', '""')::text::bpnn_model;
-- an empty class name is a class like any other
SELECT bpnn_classes(jsonb_set(:'doc', '{classes,1}', '""')::text::bpnn_model);
SELECT jsonb_set(:'doc', '{activation}', '"swish"')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{output_activation}', '"linear"')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{normalization,method}', '"log"')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{normalization,scale,0}', '0')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{normalization,shift}', '[1, 2]')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{weights,0,3}', '"1"')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{weights,0,3}', '1e39')::text::bpnn_model;
-- an imputed value beyond float4 is refused as a weight is: bpnn_predict takes
-- values as float4, and bpnn_onnx and warm starts read the model too
SELECT jsonb_set(bpnn_train('pets', 'label', epochs => 1, missing => 'impute')::text::jsonb,
                 '{impute,3}', '3.5e38')::text::bpnn_model;
SELECT (:'doc'::jsonb #- '{weights,1,0}')::text::bpnn_model;
SELECT (:'doc'::jsonb - 'training')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{training,epochs_run}', '21')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{training,rows_used}', '-1')::text::bpnn_model;
SELECT jsonb_set(:'doc', '{training,seed}', '1.5')::text::bpnn_model;
-- unknown keys are ignored (bpnn_info adds none, but hand-written documents may)
SELECT jsonb_set(:'doc', '{note}', '"hand edited"')::text::bpnn_model::text = :'doc' AS extra_key_ignored;
