-- test/perl/describe_extension.sql: every member of the extension bpnn, one line
-- each, sorted, without OIDs (test/t/008_upgrade.pl compares a fresh install
-- with an update): functions by pg_get_functiondef and their attributes,
-- aggregates by their pg_aggregate row, types, casts, operators, relations
-- by theirs, comments and privileges for all.  It names no object of bpnn.
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'bpnn'),
member AS (
	SELECT d.classid, d.objid, d.objsubid
	FROM pg_depend d, ext
	WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
)
SELECT line FROM (
	SELECT format('%s | comment %L', pg_describe_object(classid, objid, objsubid),
	              (SELECT description FROM pg_description
	               WHERE objoid = objid AND classoid = classid AND objsubid = member.objsubid)) AS line
	FROM member
UNION ALL
	SELECT format('%s | kind %s volatile %s strict %s parallel %s cost %s rows %s secdef %s leakproof %s '
	              'args (%s) returns %s config %s support %s acl %s',
	              p.oid::regprocedure, p.prokind, p.provolatile, p.proisstrict, p.proparallel,
	              p.procost, p.prorows, p.prosecdef, p.proleakproof,
	              pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
	              p.proconfig, p.prosupport, p.proacl)
	FROM member m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
UNION ALL
	SELECT format('%s | definition %s', p.oid::regprocedure, pg_get_functiondef(p.oid))
	FROM member m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
	WHERE p.prokind <> 'a'
UNION ALL
	SELECT format('%s | aggregate kind %s direct %s trans %s final %s combine %s serial %s '
	              'deserial %s mtrans %s minvtrans %s mfinal %s finalextra %s mfinalextra %s '
	              'finalmodify %s mfinalmodify %s sortop %s stype %s sspace %s mstype %s '
	              'msspace %s initval %L minitval %L',
	              a.aggfnoid::regprocedure, a.aggkind, a.aggnumdirectargs, a.aggtransfn,
	              a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, a.aggmtransfn,
	              a.aggminvtransfn, a.aggmfinalfn, a.aggfinalextra, a.aggmfinalextra,
	              a.aggfinalmodify, a.aggmfinalmodify, a.aggsortop::regoperator,
	              a.aggtranstype::regtype, a.aggtransspace, a.aggmtranstype::regtype,
	              a.aggmtransspace, a.agginitval, a.aggminitval)
	FROM member m JOIN pg_aggregate a ON m.classid = 'pg_proc'::regclass AND a.aggfnoid = m.objid
UNION ALL
	SELECT format('%s | type len %s byval %s type %s category %s preferred %s delim %s '
	              'in %s out %s recv %s send %s modin %s modout %s analyze %s subscript %s '
	              'elem %s array %s align %s storage %s notnull %s base %s typmod %s ndims %s '
	              'collation %s default %L acl %s array-comment %L',
	              t.oid::regtype, t.typlen, t.typbyval, t.typtype, t.typcategory,
	              t.typispreferred, t.typdelim, t.typinput, t.typoutput, t.typreceive,
	              t.typsend, t.typmodin, t.typmodout, t.typanalyze, t.typsubscript,
	              t.typelem::regtype, t.typarray::regtype, t.typalign, t.typstorage,
	              t.typnotnull, t.typbasetype::regtype, t.typtypmod, t.typndims,
	              t.typcollation <> 0, t.typdefault, t.typacl,
	              obj_description(t.typarray, 'pg_type'))
	FROM member m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
UNION ALL
	SELECT format('%s | cast function %s context %s method %s',
	              pg_describe_object(m.classid, m.objid, 0), c.castfunc::regprocedure,
	              c.castcontext, c.castmethod)
	FROM member m JOIN pg_cast c ON m.classid = 'pg_cast'::regclass AND c.oid = m.objid
UNION ALL
	SELECT format('%s | operator kind %s result %s commutator %s negator %s code %s '
	              'restrict %s join %s merges %s hashes %s',
	              o.oid::regoperator, o.oprkind, o.oprresult::regtype, o.oprcom::regoperator,
	              o.oprnegate::regoperator, o.oprcode, o.oprrest, o.oprjoin, o.oprcanmerge,
	              o.oprcanhash)
	FROM member m JOIN pg_operator o ON m.classid = 'pg_operator'::regclass AND o.oid = m.objid
UNION ALL
	SELECT format('%s | member %s', pg_describe_object(m.classid, m.objid, 0),
	              pg_describe_object(d.classid, d.objid, d.objsubid))
	FROM member m JOIN pg_depend d ON d.refclassid = m.classid AND d.refobjid = m.objid
	WHERE m.classid = 'pg_opfamily'::regclass
	  AND d.classid IN ('pg_amop'::regclass, 'pg_amproc'::regclass)
UNION ALL
	SELECT format('%s | relation kind %s persistence %s acl %s options %s view %s',
	              c.oid::regclass, c.relkind, c.relpersistence, c.relacl, c.reloptions,
	              CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END)
	FROM member m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
UNION ALL
	SELECT format('%s | column %s %s notnull %s default %s comment %L',
	              c.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
	              pg_get_expr(ad.adbin, ad.adrelid), col_description(c.oid, a.attnum))
	FROM member m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
UNION ALL
	SELECT format('extension relocatable %s schema %s config %s condition %s',
	              e.extrelocatable, e.extnamespace::regnamespace, e.extconfig::regclass[],
	              e.extcondition)
	FROM pg_extension e WHERE e.extname = 'bpnn'
) lines
ORDER BY line COLLATE "C";
