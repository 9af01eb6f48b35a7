-- bpnn upgrade script 0.3.0 -> 0.4.0: what 0.4.0 changes in 0.3.0.
-- CREATE EXTENSION bpnn runs the 0.1.0 install script and every update
-- script after it, this one last; test/t/upgrade.sh checks that an update
-- from each earlier version leaves the same catalog as a fresh install.
-- Sections name their topic; the Security section stays the last.

\echo Use "ALTER EXTENSION bpnn UPDATE TO '0.4.0'" to load this file. \quit

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
