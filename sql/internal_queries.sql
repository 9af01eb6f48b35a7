-- Streaming training runs queries of its own (train_stream.c).  They call the
-- extension's aggregates by schema-qualified name with exact argument
-- types, and before each run the analyzed query must call nothing but
-- pg_catalog's and the extension's functions: a function that a role with
-- CREATE on the extension's schema adds there never runs as the caller
-- (issue 12, item 2).  Each attack is shown by its SQLSTATE (42725: the
-- query was refused, or ambiguous) and by whether the attacker's code ran,
-- which holds whether bpnn_gradient's label is declared anyelement (0.2.0)
-- or text.
-- Uses iris, digits_pixels and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/digits_pixels.sql
\i test/fixtures/try.sql
\set ECHO all
CREATE ROLE regress_bpnn_schema_writer;
GRANT CREATE ON SCHEMA public TO regress_bpnn_schema_writer;
SET ROLE regress_bpnn_schema_writer;
-- what the attacker's functions do: say that they ran, and as whom
CREATE FUNCTION public.attacker_ran(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the attacker''s % ran as %', what, current_user;
END
$$;
-- the attacker's bpnn_gradient: an exact-typed overload, which beats a
-- bpnn_gradient(bpnn_model, float8[], anyelement) (where the extension's
-- takes text, it cannot be created: the same signature)
DO $do$
BEGIN
	CREATE FUNCTION public.bpnn_gradient(m bpnn_model, f float8[], l text) RETURNS bpnn_state
	LANGUAGE sql AS $$ SELECT public.attacker_ran('bpnn_gradient'); SELECT NULL::bpnn_state $$;
EXCEPTION WHEN duplicate_function THEN
	NULL;
END
$do$;
RESET ROLE;

-- a superuser trains a table over bpnn.memory_limit: streaming never runs
-- the attacker's function
SET bpnn.memory_limit = '256kB';
SET client_min_messages = warning;
SELECT try($$SELECT bpnn_train('digits_pixels', 'label', hidden => '{4}', epochs => 2)$$)
       NOT LIKE '%attacker%' AS attacker_did_not_run;
-- in memory, nothing is resolved by name
RESET bpnn.memory_limit;
SELECT bpnn_classes(bpnn_train('iris', 'label', epochs => 2)) AS in_memory;

-- an overload with a defaulted argument: refused by the check (anyelement),
-- or ambiguous (text): 42725 either way, never run
SET ROLE regress_bpnn_schema_writer;
DO $do$
BEGIN
	-- the attacker's own exact overload, if there was room for it
	IF EXISTS (SELECT FROM pg_proc WHERE oid = 'public.bpnn_gradient(bpnn_model, float8[], text)'::regprocedure
	           AND prokind = 'f') THEN
		DROP FUNCTION public.bpnn_gradient(bpnn_model, float8[], text);
	END IF;
END
$do$;
CREATE FUNCTION public.bpnn_gradient(m bpnn_model, f float8[], l text, x int DEFAULT 0) RETURNS bpnn_state
LANGUAGE sql AS $$ SELECT public.attacker_ran('bpnn_gradient'); SELECT NULL::bpnn_state $$;
RESET ROLE;
SET bpnn.memory_limit = '256kB';
SELECT left(try($$SELECT bpnn_train('digits_pixels', 'label', hidden => '{4}', epochs => 2)$$), 5) AS sqlstate;

-- the statistics scan: an overload of bpnn_feature_stats, likewise
SET ROLE regress_bpnn_schema_writer;
DROP FUNCTION public.bpnn_gradient(bpnn_model, float8[], text, int);
CREATE FUNCTION public.bpnn_feature_stats(f float8[], skip boolean, x int DEFAULT 0) RETURNS float8[]
LANGUAGE sql AS $$ SELECT public.attacker_ran('bpnn_feature_stats'); SELECT NULL::float8[] $$;
RESET ROLE;
SELECT left(try($$SELECT bpnn_train('digits_pixels', 'label', hidden => '{4}', epochs => 2)$$), 5) AS sqlstate;

-- with the schema clean again, streaming trains
SET ROLE regress_bpnn_schema_writer;
DROP FUNCTION public.bpnn_feature_stats(float8[], boolean, int);
DROP FUNCTION public.attacker_ran(text);
RESET ROLE;
SELECT bpnn_info(m) -> 'training' -> 'rows_used' AS streamed_rows, bpnn_classes(m) AS classes
FROM (SELECT bpnn_train('digits_pixels', 'label', hidden => '{4}', epochs => 2) AS m) s;
RESET client_min_messages;
RESET bpnn.memory_limit;

REVOKE CREATE ON SCHEMA public FROM regress_bpnn_schema_writer;
DROP ROLE regress_bpnn_schema_writer;
