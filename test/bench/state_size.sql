-- state_size.sql — what keep_state => true adds to a model (docs/lifecycle.md):
-- the stored bytes (bpnn_model_send) and the size on disk (pg_column_size,
-- after compression) of models of letter's shape (16-64-26, bpnn's
-- defaults, 200 epochs) and MNIST's (784-128-10, 10 epochs, as in
-- docs/performance.md), without the trainer's state, with momentum's and
-- with Adam's.  The sizes depend on the shape and the epochs only, so the
-- rows are random (200 of them).  Run: psql -X -f test/bench/state_size.sql
-- in a database with bpnn.
\set QUIET on
SELECT setseed(0.5) \gset
CREATE TEMP TABLE letter_shape AS
SELECT ARRAY(SELECT random() FROM generate_series(1, 16) WHERE r > 0) AS x, chr(65 + r % 26) AS y
FROM generate_series(1, 200) r;
CREATE TEMP TABLE mnist_shape AS
SELECT ARRAY(SELECT random() FROM generate_series(1, 784) WHERE r > 0) AS x, (r % 10)::text AS y
FROM generate_series(1, 200) r;
CREATE TEMP TABLE sizes (shape text, optimizer text, keep_state boolean, model bpnn_model);
INSERT INTO sizes
SELECT 'letter 16-64-26', o, k, bpnn_train('letter_shape', 'y', optimizer => o, keep_state => k,
                                           learning_rate => CASE o WHEN 'adam' THEN 0.01 ELSE 0.2 END)
FROM unnest(ARRAY['momentum', 'adam']) o, unnest(ARRAY[false, true]) k;
INSERT INTO sizes
SELECT 'MNIST 784-128-10', o, k, bpnn_train('mnist_shape', 'y', hidden => '{128}', epochs => 10, optimizer => o,
                                            keep_state => k, learning_rate => CASE o WHEN 'adam' THEN 0.01 ELSE 0.2 END)
FROM unnest(ARRAY['momentum', 'adam']) o, unnest(ARRAY[false, true]) k;
\set QUIET off
SELECT shape, optimizer, keep_state,
       octet_length(bpnn_model_send(model)) AS stored_bytes, pg_column_size(model) AS on_disk_bytes,
       round(octet_length(bpnn_model_send(model))::numeric /
             first_value(octet_length(bpnn_model_send(model))) OVER (PARTITION BY shape, optimizer ORDER BY keep_state), 2)
         AS ratio
FROM sizes ORDER BY shape DESC, optimizer DESC, keep_state;
