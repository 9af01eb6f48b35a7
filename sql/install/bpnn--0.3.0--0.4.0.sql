-- bpnn upgrade script 0.3.0 -> 0.4.0: what 0.4.0 changes in 0.3.0.
-- CREATE EXTENSION bpnn runs the 0.1.0 install script and every update
-- script after it, this one last; test/t/upgrade.sh checks that an update
-- from each earlier version leaves the same catalog as a fresh install.
-- Sections name their topic; the Security section stays the last.

\echo Use "ALTER EXTENSION bpnn UPDATE TO '0.4.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
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
