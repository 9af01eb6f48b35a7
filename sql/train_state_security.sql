-- bpnn_train_epoch and bpnn_train_state attacked (a hostile review of the
-- 0.4.0 surfaces): each case crashed, leaked or misbehaved before its fix.
-- Uses iris (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\set ECHO all

-- ---------------------------------------------------------------------------
-- A model's checksum is no proof of identity.  hash_bytes_extended is not
-- collision resistant: one free 12-byte block (three float4 weights) sets
-- its whole internal state, so two models of different shapes can carry
-- the same checksum.  These two do (1 feature and 64 features; made by
-- matching the last three weights of the second).  A state begun with the
-- first took the second's 64 features into a buffer sized for 1 and the
-- backend died (SIGSEGV), as any role: the transition function must check
-- the shape, not only the checksum.
-- test/tools/craft_collisions.py makes both pairs of this suite: rerun it
-- (its header says how) whenever the stored model format changes.
-- ---------------------------------------------------------------------------
CREATE ROLE regress_bpnn_ts_user LOGIN;
GRANT SELECT ON iris TO regress_bpnn_ts_user;
SET ROLE regress_bpnn_ts_user;
\set VERBOSITY terse
CREATE TEMP TABLE ts_models (id int, m bpnn_model);
INSERT INTO ts_models VALUES (1, '{"format_version": 5, "layers": [1, 2, 2], "activation": "bipolar_sigmoid", "output_activation": "bipolar_sigmoid", "loss": "squared_error", "features": ["x"], "classes": ["0", "1________"], "columns": [{"name": "x", "kind": "number", "width": 1}], "skipped_columns": [], "missing": "skip", "impute": [0], "normalization": {"method": "zscore", "shift": [0], "scale": [1]}, "training": {"source": "public.t1", "label_column": "y", "epochs": 4, "learning_rate": 0.2, "momentum": 0.7, "batch_size": 32, "init_range": 0.1, "seed": 1, "optimizer": "momentum", "weight_decay": 0, "validation_fraction": 0, "patience": 10, "class_weights": [1, 1], "rows_used": 40, "validation_rows": 0, "rows_skipped": 0, "epochs_run": 4, "best_epoch": null, "validation_loss": null, "final_loss": 0.5, "train_accuracy": 0.5, "seconds": 0.001, "workers": 0, "loss_per_epoch": [0.5, 0.25, 0.125, 0.0625]}, "weights": [[0.01, 0.02, 0.03, 0.04], [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]]}'), (2, '{"format_version": 5, "layers": [64, 2, 2], "activation": "bipolar_sigmoid", "output_activation": "bipolar_sigmoid", "loss": "squared_error", "features": ["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "f13", "f14", "f15", "f16", "f17", "f18", "f19", "f20", "f21", "f22", "f23", "f24", "f25", "f26", "f27", "f28", "f29", "f30", "f31", "f32", "f33", "f34", "f35", "f36", "f37", "f38", "f39", "f40", "f41", "f42", "f43", "f44", "f45", "f46", "f47", "f48", "f49", "f50", "f51", "f52", "f53", "f54", "f55", "f56", "f57", "f58", "f59", "f60", "f61", "f62", "f63"], "classes": ["0", "1___"], "columns": [{"name": "f0", "kind": "number", "width": 1}, {"name": "f1", "kind": "number", "width": 1}, {"name": "f2", "kind": "number", "width": 1}, {"name": "f3", "kind": "number", "width": 1}, {"name": "f4", "kind": "number", "width": 1}, {"name": "f5", "kind": "number", "width": 1}, {"name": "f6", "kind": "number", "width": 1}, {"name": "f7", "kind": "number", "width": 1}, {"name": "f8", "kind": "number", "width": 1}, {"name": "f9", "kind": "number", "width": 1}, {"name": "f10", "kind": "number", "width": 1}, {"name": "f11", "kind": "number", "width": 1}, {"name": "f12", "kind": "number", "width": 1}, {"name": "f13", "kind": "number", "width": 1}, {"name": "f14", "kind": "number", "width": 1}, {"name": "f15", "kind": "number", "width": 1}, {"name": "f16", "kind": "number", "width": 1}, {"name": "f17", "kind": "number", "width": 1}, {"name": "f18", "kind": "number", "width": 1}, {"name": "f19", "kind": "number", "width": 1}, {"name": "f20", "kind": "number", "width": 1}, {"name": "f21", "kind": "number", "width": 1}, {"name": "f22", "kind": "number", "width": 1}, {"name": "f23", "kind": "number", "width": 1}, {"name": "f24", "kind": "number", "width": 1}, {"name": "f25", "kind": "number", "width": 1}, {"name": "f26", "kind": "number", "width": 1}, {"name": "f27", "kind": "number", "width": 1}, {"name": "f28", "kind": "number", "width": 1}, {"name": "f29", "kind": "number", "width": 1}, {"name": "f30", "kind": "number", "width": 1}, {"name": "f31", "kind": "number", "width": 1}, {"name": "f32", "kind": "number", "width": 1}, {"name": "f33", "kind": "number", "width": 1}, {"name": "f34", "kind": "number", "width": 1}, {"name": "f35", "kind": "number", "width": 1}, {"name": "f36", "kind": "number", "width": 1}, {"name": "f37", "kind": "number", "width": 1}, {"name": "f38", "kind": "number", "width": 1}, {"name": "f39", "kind": "number", "width": 1}, {"name": "f40", "kind": "number", "width": 1}, {"name": "f41", "kind": "number", "width": 1}, {"name": "f42", "kind": "number", "width": 1}, {"name": "f43", "kind": "number", "width": 1}, {"name": "f44", "kind": "number", "width": 1}, {"name": "f45", "kind": "number", "width": 1}, {"name": "f46", "kind": "number", "width": 1}, {"name": "f47", "kind": "number", "width": 1}, {"name": "f48", "kind": "number", "width": 1}, {"name": "f49", "kind": "number", "width": 1}, {"name": "f50", "kind": "number", "width": 1}, {"name": "f51", "kind": "number", "width": 1}, {"name": "f52", "kind": "number", "width": 1}, {"name": "f53", "kind": "number", "width": 1}, {"name": "f54", "kind": "number", "width": 1}, {"name": "f55", "kind": "number", "width": 1}, {"name": "f56", "kind": "number", "width": 1}, {"name": "f57", "kind": "number", "width": 1}, {"name": "f58", "kind": "number", "width": 1}, {"name": "f59", "kind": "number", "width": 1}, {"name": "f60", "kind": "number", "width": 1}, {"name": "f61", "kind": "number", "width": 1}, {"name": "f62", "kind": "number", "width": 1}, {"name": "f63", "kind": "number", "width": 1}], "skipped_columns": [], "missing": "skip", "impute": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "normalization": {"method": "zscore", "shift": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "scale": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}, "training": {"source": "public.t1", "label_column": "y", "epochs": 4, "learning_rate": 0.2, "momentum": 0.7, "batch_size": 32, "init_range": 0.1, "seed": 1, "optimizer": "momentum", "weight_decay": 0, "validation_fraction": 0, "patience": 10, "class_weights": [1, 1], "rows_used": 40, "validation_rows": 0, "rows_skipped": 0, "epochs_run": 4, "best_epoch": null, "validation_loss": null, "final_loss": 0.5, "train_accuracy": 0.5, "seconds": 0.001, "workers": 0, "loss_per_epoch": [0.5, 0.25, 0.125, 0.0625]}, "weights": [[0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001], [0.01, 0.02, 0.03, 2.70905e-13, -2.5116184e-34, 2.838197e-21]]}');
SELECT id, bpnn_info(m)->'layers' AS layers,
       substr(encode(bpnn_model_send(m), 'hex'), 17, 16) AS checksum
FROM ts_models ORDER BY id;
SELECT bpnn_train_epoch(m.m, CASE WHEN g = 1 THEN ARRAY[1.0]::float8[]
                                  ELSE pg_catalog.array_fill(1.0::float8, ARRAY[64]) END,
                        '0', 0.1, 0, 1, 'momentum', 0, 1, 4) IS NULL AS trained
FROM generate_series(1, 2) g JOIN ts_models m ON m.id = g;
-- each model alone trains
SELECT id, (SELECT bpnn_train_epoch(m, pg_catalog.array_fill(g::float8, ARRAY[(bpnn_info(m)->'layers'->>0)::int]),
                                   '0', 0.1, 0, 1, 'momentum', 0, 1, 4)
            FROM generate_series(1, 4) g) IS NOT NULL AS trained
FROM ts_models ORDER BY id;
-- Two models of one length, weight count, feature count and checksum, but
-- of 2 and 6 classes ([1, 3, 2] and [1, 1, 6]; the free block is in the
-- epoch losses): a state begun with the first took a row of class "f" (the
-- sixth) and trained on it with two outputs, reading past the class
-- weights and the outputs.  Each buffered label must be one of the
-- model's outputs when the buffer is trained (or summed).
INSERT INTO ts_models VALUES (3, '{"format_version": 5, "layers": [1, 3, 2], "activation": "bipolar_sigmoid", "output_activation": "bipolar_sigmoid", "loss": "squared_error", "features": ["xxxxxxxxxxxxxxxxxxxxxxxxxxx"], "classes": ["a", "b"], "columns": [{"name": "xxxxxxxxxxxxxxxxxxxxxxxxxxx", "kind": "number", "width": 1}], "skipped_columns": [], "missing": "skip", "impute": [0], "normalization": {"method": "zscore", "shift": [0], "scale": [1]}, "training": {"source": "public.t1", "label_column": "y", "epochs": 4, "learning_rate": 0.2, "momentum": 0.7, "batch_size": 32, "init_range": 0.1, "seed": 1, "optimizer": "momentum", "weight_decay": 0, "validation_fraction": 0, "patience": 10, "class_weights": [1, 1], "rows_used": 40, "validation_rows": 0, "rows_skipped": 0, "epochs_run": 4, "best_epoch": null, "validation_loss": null, "final_loss": 0.5, "train_accuracy": 0.5, "seconds": 0.001, "workers": 0, "loss_per_epoch": [0.500000001711448, 5.208877957305081e+211, -1.218164251425e+288, 0.0625]}, "weights": [[-0.15, -0.1, -0.05, 0, 0.05, 0.1], [-0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.15, -0.15]]}'), (4, '{"format_version": 5, "layers": [1, 1, 6], "activation": "bipolar_sigmoid", "output_activation": "bipolar_sigmoid", "loss": "squared_error", "features": ["x"], "classes": ["a", "b", "c", "d", "e", "f"], "columns": [{"name": "x", "kind": "number", "width": 1}], "skipped_columns": [], "missing": "skip", "impute": [0], "normalization": {"method": "zscore", "shift": [0], "scale": [1]}, "training": {"source": "public.t1", "label_column": "y", "epochs": 4, "learning_rate": 0.2, "momentum": 0.7, "batch_size": 32, "init_range": 0.1, "seed": 1, "optimizer": "momentum", "weight_decay": 0, "validation_fraction": 0, "patience": 10, "class_weights": [1, 1, 1, 1, 1, 1], "rows_used": 40, "validation_rows": 0, "rows_skipped": 0, "epochs_run": 4, "best_epoch": null, "validation_loss": null, "final_loss": 0.5, "train_accuracy": 0.5, "seconds": 0.001, "workers": 0, "loss_per_epoch": [0.5, 0.25, 0.125, 0.0625]}, "weights": [[-0.15, -0.1], [-0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.15, -0.15, -0.1, -0.05, 0, 0.05]]}');
SELECT id, bpnn_info(m)->'layers' AS layers, bpnn_classes(m),
       substr(encode(bpnn_model_send(m), 'hex'), 17, 16) AS checksum, length(bpnn_model_send(m))
FROM ts_models WHERE id IN (3, 4) ORDER BY id;
-- (the detail shows which check refused it: the labels, not the checksum)
\set VERBOSITY default
SELECT bpnn_train_epoch(m.m, ARRAY[1.0]::float8[], CASE WHEN g = 3 THEN 'a' ELSE 'f' END,
                        0.1, 0, 1, 'momentum', 0, 1, 4) IS NULL AS trained
FROM generate_series(3, 4) g JOIN ts_models m ON m.id = g;
-- bpnn_gradient checked the same sizes, and summed its buffer (128 rows)
-- with whichever model filled it: rows 2-127 of class "f" on two outputs
SELECT bpnn_state_info(bpnn_gradient(m.m, ARRAY[1.0]::float8[], CASE WHEN g IN (1, 128) THEN 'a' ELSE 'f' END
                                     ORDER BY g)) IS NULL AS summed
FROM generate_series(1, 128) g JOIN ts_models m ON m.id = CASE WHEN g IN (1, 128) THEN 3 ELSE 4 END;
\set VERBOSITY terse
RESET ROLE;

-- ---------------------------------------------------------------------------
-- A state larger than 1 GB: its varlena length wrapped, and the next row
-- reported the aggregate's own state as corrupt (XX001), after allocating
-- it.  Refused before allocating, as a limit, naming buffer_rows.
-- ---------------------------------------------------------------------------
SET ROLE regress_bpnn_ts_user;
SELECT bpnn_train('iris', 'label', hidden => '{3}', epochs => 1) AS ts_m \gset
SET bpnn.memory_limit = '3GB';
\set VERBOSITY default
SELECT bpnn_train_epoch(:'ts_m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm],
                        label, 0.1, 0.5, 16, 'momentum', 0, 1, 100000000) IS NULL AS trained
FROM iris;
\set VERBOSITY terse
RESET bpnn.memory_limit;
RESET ROLE;

-- ---------------------------------------------------------------------------
-- Combining states (a user-made aggregate on the combine function, as a
-- superuser or a role granted it may build): row counts whose sum passes
-- 2^63 wrapped negative, and a loss sum overflowed to infinity.  The
-- result was a value its own output function refuses (not dumpable),
-- reported later as a corrupt state.
-- ---------------------------------------------------------------------------
CREATE AGGREGATE pg_temp.ts_partial(bpnn_model, float8[], text, float8, float8, int4, text, float8, int8, int4) (
  SFUNC = bpnn_train_epoch_transfn, STYPE = bpnn_train_state);
CREATE AGGREGATE pg_temp.ts_combine(bpnn_train_state) (
  SFUNC = bpnn_train_epoch_combinefn, STYPE = bpnn_train_state);
SELECT pg_temp.ts_partial(:'ts_m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm],
                          label, 0.1, 0.5, 16, 'momentum', 0, 1, 64)::text AS ts_s
FROM iris \gset
-- rows (bytes 28-35) and correct (44-51) 2^62: two sum past 2^63; the loss (60-67) near DBL_MAX
SELECT overlay(overlay(:'ts_s' placing '4000000000000000' from 57) placing '4000000000000000' from 89) AS ts_big \gset
SELECT overlay(:'ts_s' placing '7fefffffffffffff' from 121) AS ts_bigloss \gset
SELECT :'ts_big'::bpnn_train_state IS NOT NULL AS valid, :'ts_bigloss'::bpnn_train_state IS NOT NULL AS valid;
SELECT pg_temp.ts_combine(s) IS NOT NULL AS combined FROM (VALUES (:'ts_big'::bpnn_train_state), (:'ts_big')) v(s);
SELECT pg_temp.ts_combine(s) IS NOT NULL AS combined FROM (VALUES (:'ts_bigloss'::bpnn_train_state), (:'ts_bigloss')) v(s);
-- one of each combines
SELECT bpnn_train_epoch_finalfn(pg_temp.ts_combine(s)) IS NOT NULL AS combined
FROM (VALUES (:'ts_big'::bpnn_train_state), (:'ts_s')) v(s);

-- ---------------------------------------------------------------------------
-- The per-query model cache of bpnn_predict, bpnn_predict_proba and
-- bpnn_classes took an external Param for a constant and skipped comparing
-- the bytes when the datum's address was the one seen last.  PL/pgSQL reads
-- its variables as external Params and keeps fn_extra for the transaction:
-- a model assigned after the previous one was freed took its address, and
-- with one length and checksum (ids 3 and 4) model 4 (six classes) answered
-- with model 3's two classes and probabilities.  Only a Const skips the
-- comparison now.
-- ---------------------------------------------------------------------------
SET ROLE regress_bpnn_ts_user;
DO $$
DECLARE
	m bpnn_model;
BEGIN
	FOR i IN 3..4 LOOP
		m := NULL;	-- frees the previous model, whose place the next one may take
		SELECT t.m INTO m FROM ts_models t WHERE t.id = i;
		RAISE NOTICE 'model %: classes %, % probabilities, predicts %', i, bpnn_classes(m),
			cardinality(bpnn_predict_proba(m, ARRAY[1.0]::float8[])),
			bpnn_predict(m, ARRAY[1.0]::float8[]);
	END LOOP;
END
$$;
RESET ROLE;

-- ---------------------------------------------------------------------------
-- A table's bpnn_state or bpnn_train_state column holds the in-memory form,
-- whose format 0.4.0 raised to 3 (a targets field): values stored by
-- 0.3.0 (format 1) could no longer be read, not even by their output
-- function, so a dump of their table failed.  Format 1 is read on (upgrade
-- on read).  A type with bytea's I/O and a binary cast (superuser only)
-- stand in for the stored bytes: bpnn_state 1 is 3 with another version
-- number; bpnn_train_state 1 also lacks the 8 bytes of targets and padding
-- at header offset 32 (hex digit 59 of bytea's text, after its \x and the
-- 4-byte length word that the text leaves out).
-- ---------------------------------------------------------------------------
CREATE TYPE ts_raw;
CREATE FUNCTION ts_raw_in(cstring) RETURNS ts_raw AS 'byteain' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION ts_raw_out(ts_raw) RETURNS cstring AS 'byteaout' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE ts_raw (INPUT = ts_raw_in, OUTPUT = ts_raw_out, INTERNALLENGTH = VARIABLE,
                    ALIGNMENT = double, STORAGE = plain);
CREATE CAST (ts_raw AS bpnn_state) WITHOUT FUNCTION;
CREATE CAST (bpnn_state AS ts_raw) WITHOUT FUNCTION;
CREATE CAST (ts_raw AS bpnn_train_state) WITHOUT FUNCTION;
CREATE CAST (bpnn_train_state AS ts_raw) WITHOUT FUNCTION;
-- the uint16 version after the length word, 3 -> 1 in either byte order
CREATE FUNCTION pg_temp.ts_version_1(raw text) RETURNS text LANGUAGE sql AS
$$SELECT overlay(raw placing CASE substr(raw, 3, 4) WHEN '0300' THEN '0100' ELSE '0001' END from 3 for 4)$$;
CREATE TEMP TABLE ts_stored AS
SELECT bpnn_gradient(:'ts_m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label) AS g,
       pg_temp.ts_partial(:'ts_m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm],
                          label, 0.1, 0.5, 16, 'momentum', 0, 1, 64) AS e
FROM iris;
UPDATE ts_stored SET g = pg_temp.ts_version_1(g::ts_raw::text)::ts_raw::bpnn_state,
                     e = pg_temp.ts_version_1(overlay(e::ts_raw::text placing '' from 59 for 16))::ts_raw::bpnn_train_state
RETURNING g::text = (SELECT bpnn_gradient(:'ts_m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label)::text FROM iris) AS same_gradient,
          e::text = (SELECT pg_temp.ts_partial(:'ts_m', ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm],
                                               label, 0.1, 0.5, 16, 'momentum', 0, 1, 64)::text FROM iris) AS same_train_state;
SELECT bpnn_state_info(g)->'rows' AS rows, bpnn_train_epoch_finalfn(e) IS NOT NULL AS model FROM ts_stored;
DROP TABLE ts_stored;
DROP TYPE ts_raw CASCADE;

DROP TABLE ts_models;
DROP OWNED BY regress_bpnn_ts_user;
DROP ROLE regress_bpnn_ts_user;
