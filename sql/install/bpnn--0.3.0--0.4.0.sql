-- bpnn upgrade script 0.3.0 -> 0.4.0: what 0.4.0 changes in 0.3.0.
-- CREATE EXTENSION bpnn runs the 0.1.0 install script and every update
-- script after it, this one last; test/t/upgrade.sh checks that an update
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
