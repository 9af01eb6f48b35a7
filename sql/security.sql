-- Training reads the source as the calling user: table and column
-- privileges and row-level security apply exactly as to a SELECT, and no
-- bpnn function runs with its owner's rights.  Also: a row whose composite
-- type changed under a query is read with its new columns, and a session's
-- extra_float_digits does not change the labels streaming reads.
-- Uses iris, digits_pixels and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/digits_pixels.sql
\i test/fixtures/try.sql
\set ECHO all
CREATE ROLE regress_bpnn_analyst;
CREATE TABLE guarded AS SELECT * FROM iris;
GRANT SELECT (sepal_length_cm, petal_length_cm, label) ON guarded TO regress_bpnn_analyst;
SET ROLE regress_bpnn_analyst;
-- every numeric column: two of them are not granted
SELECT try($$SELECT bpnn_train('guarded', 'label', epochs => 5)$$);
-- only the granted columns: allowed
SELECT bpnn_info(bpnn_train('guarded', 'label', features => '{sepal_length_cm,petal_length_cm}', epochs => 5))->'features' AS granted;
-- no privilege at all on the table
SELECT try($$SELECT bpnn_train('iris_cv', 'label', epochs => 5)$$);
RESET ROLE;

-- row-level security hides rows from training as from a SELECT
CREATE TABLE policed AS SELECT * FROM iris;
ALTER TABLE policed ENABLE ROW LEVEL SECURITY;
CREATE POLICY no_virginica ON policed FOR SELECT TO regress_bpnn_analyst USING (label <> 'virginica');
GRANT SELECT ON policed TO regress_bpnn_analyst;
SET ROLE regress_bpnn_analyst;
SELECT count(*) AS visible_rows FROM policed;
SELECT bpnn_classes(m) AS classes, bpnn_info(m)->'training'->'rows_used' AS rows_used
FROM (SELECT bpnn_train('policed', 'label', epochs => 5) AS m) s;
RESET ROLE;
-- the owner is not subject to the policy
SELECT bpnn_info(bpnn_train('policed', 'label', epochs => 5))->'training'->'rows_used' AS owner_rows;
-- nor to streaming: its scans are the caller's queries too
CREATE TABLE policed_pixels AS SELECT * FROM digits_pixels;
ALTER TABLE policed_pixels ENABLE ROW LEVEL SECURITY;
CREATE POLICY no_zeros ON policed_pixels FOR SELECT TO regress_bpnn_analyst USING (label <> 0);
GRANT SELECT ON policed_pixels TO regress_bpnn_analyst;
SET ROLE regress_bpnn_analyst;
SET bpnn.memory_limit = '256kB';
SET client_min_messages = warning;
SELECT count(*) AS visible_rows FROM policed_pixels;
SELECT bpnn_classes(m) AS classes, bpnn_info(m)->'training'->'rows_used' AS streamed_rows
FROM (SELECT bpnn_train('policed_pixels', 'label', hidden => '{4}', epochs => 2) AS m) s;
RESET client_min_messages;
RESET bpnn.memory_limit;
RESET ROLE;

-- ---------------------------------------------------------------------------
-- bpnn_predict(model, record) matched a composite type's columns once per
-- call site, keyed by the type's OID: after ALTER TYPE changed a column (of
-- a type no table uses, which any owner may alter), rows made with the new
-- columns were deformed with the old ones, an int8 read as a text's length
-- (a crash on a stock server; this server's heap_deform_tuple refuses an
-- outdated descriptor).  The map follows the type cache's descriptor now.
-- ---------------------------------------------------------------------------
CREATE TABLE rowtype_train (x float8, c text, y text);
INSERT INTO rowtype_train
SELECT g, CASE WHEN g % 2 = 0 THEN 'p' ELSE 'q' END, CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END
FROM generate_series(1, 60) g;
CREATE TABLE rowtype_model AS
SELECT bpnn_train('rowtype_train', 'y', features => '{x,c}', hidden => '{2}', epochs => 2) AS m;
CREATE TYPE rowtype_ct AS (x float8, c text);
-- makes its row with the type's columns as they are now (dynamic SQL)
CREATE FUNCTION rowtype_row(g int) RETURNS rowtype_ct LANGUAGE plpgsql AS $$
DECLARE
	r rowtype_ct;
BEGIN
	EXECUTE format('SELECT %s::float8, 2147483632', g) INTO r;
	RETURN r;
END
$$;
BEGIN;
DECLARE rowtype_cur CURSOR FOR
	SELECT g, bpnn_predict(m, rowtype_row(g)) IS NOT NULL AS predicted
	FROM rowtype_model, generate_series(1, 2) g;
FETCH 1 FROM rowtype_cur;
ALTER TYPE rowtype_ct ALTER ATTRIBUTE c TYPE int8;
FETCH 1 FROM rowtype_cur;
ROLLBACK;
DROP FUNCTION rowtype_row(int);
DROP TYPE rowtype_ct;
DROP TABLE rowtype_train, rowtype_model;

-- ---------------------------------------------------------------------------
-- A session setting must not change what training reads.  Streaming (past
-- bpnn.memory_limit) passes a regressor's label to its aggregates as
-- float8's text, exact only with extra_float_digits above 0: at -15 every
-- label was rounded to one digit ('1e+02') and trained on silently.  The
-- scans run with extra_float_digits 1 now, and the session keeps its own.
-- ---------------------------------------------------------------------------
CREATE TABLE float_digits AS
SELECT g::float8 AS x, (g * 1.37 + 0.41)::float8 AS y FROM generate_series(1, 10000) g;
SET bpnn.memory_limit = '64kB';
SET max_parallel_workers_per_gather = 0;
-- (the NOTICE says it streams)
CREATE TABLE float_digits_models AS
SELECT 1 AS id, bpnn_train('float_digits', 'y', hidden => '{2}', epochs => 2, task => 'regression') AS m;
SET extra_float_digits = -15;
INSERT INTO float_digits_models
SELECT 2, bpnn_train('float_digits', 'y', hidden => '{2}', epochs => 2, task => 'regression');
SHOW extra_float_digits;
RESET extra_float_digits;
RESET max_parallel_workers_per_gather;
RESET bpnn.memory_limit;
-- the same computation twice in one process: the same weights
SELECT a.m::jsonb->'weights' = b.m::jsonb->'weights' AS same_weights
FROM float_digits_models a, float_digits_models b WHERE a.id = 1 AND b.id = 2;
DROP TABLE float_digits, float_digits_models;

-- nothing in the extension is SECURITY DEFINER
SELECT count(*) AS security_definer_functions
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass
WHERE e.extname = 'bpnn' AND p.prosecdef;

DROP TABLE guarded, policed, policed_pixels;
DROP ROLE regress_bpnn_analyst;
