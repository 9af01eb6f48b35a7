-- bpnn upgrade script 0.2.0 -> 0.3.0: what 0.3.0 changes in 0.2.0.
-- After ALTER EXTENSION bpnn UPDATE, a database holds exactly what
-- CREATE EXTENSION bpnn (version 0.3.0) creates; test/t/upgrade.sh checks that.

\echo Use "ALTER EXTENSION bpnn UPDATE TO '0.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Security (issue 12): aggregate support functions are not for PUBLIC
-- ---------------------------------------------------------------------------
-- An aggregate checks its owner's EXECUTE right on its support functions,
-- not the caller's, so the extension's aggregates keep working for every
-- role; what PUBLIC loses is calling these functions directly and building
-- aggregates of its own on them (with an INITCOND of its choosing, or
-- another aggregate's internal state).  Each still validates the state it
-- is handed, for the roles that may call it.
--
-- Every support function (transition, combine, final, serialize,
-- deserialize) of every aggregate of the extension, found in the catalogs,
-- so that the rule holds for aggregates created earlier in this script
-- whatever their signatures; it must stay the last section of the script.
-- As PostgreSQL's "Security Considerations for Extension Scripts" ask,
-- catalogs, functions and operators are named with their schema, and each
-- function revoked is named by its regprocedure text, which names exactly
-- the function found (qualified wherever the search_path would not).
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
