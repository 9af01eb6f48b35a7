#!/usr/bin/env bash
# ALTER EXTENSION bpnn UPDATE from every earlier version leaves the same
# objects as a fresh CREATE EXTENSION bpnn, and a model stored under the
# old version still works: run under pg_virtualenv (test/run-tests.sh).
#
# The versions come from pg_available_extension_versions, the objects from
# pg_depend (every member of the extension), each described without OIDs:
# functions by pg_get_functiondef and their attributes, aggregates by their
# pg_aggregate row, types, casts, operators, relations by theirs, comments
# and privileges for all.  Nothing here names an object of bpnn.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/t/lib.bash

# the Makefile's version is the control file's default
make_version=$(sed -n 's/^EXTVERSION *= *//p' Makefile)
control_version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" bpnn.control)
if [ -n "$make_version" ] && [ "$make_version" = "$control_version" ]; then
	echo "ok: bpnn.control's default_version is the Makefile's EXTVERSION ($make_version)"
else
	echo "FAILED: bpnn.control says default_version '$control_version', the Makefile EXTVERSION '$make_version'"
fi
# each update script refuses to be run by psql (as pgvector's do)
for script in sql/install/bpnn--*--*.sql; do
	if grep -q '^\\echo Use "ALTER EXTENSION bpnn UPDATE' "$script"; then
		echo "ok: $script starts with the psql guard"
	else
		echo "FAILED: $script lacks the \\echo Use \"ALTER EXTENSION bpnn UPDATE ...\" \\quit guard"
	fi
done

test_database bpnn_upgrade_fresh
databases=(bpnn_upgrade_fresh)
trap 'rm -rf "$work"; for d in "${databases[@]}"; do dropdb --if-exists "$d" >/dev/null 2>&1; done' EXIT

# every member of the extension, one line each, sorted; no OIDs
describe() {
	psql -X -Atq -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
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
SQL
}

# a small model and its answers, to compare after an update
score() {
	psql -X -Atq -v ON_ERROR_STOP=1 -d "$1" -c "
		SELECT string_agg(format('%s %s', bpnn_predict(m, ARRAY[a, b, c, d]),
		                         bpnn_predict_proba(m, ARRAY[a, b, c, d])), ',' ORDER BY a, b, c, d)
		FROM stored_model, flowers"
}

describe bpnn_upgrade_fresh > "$work/fresh"
default=$(psql -X -Atq -d bpnn_upgrade_fresh -c "SELECT default_version FROM pg_available_extensions WHERE name = 'bpnn'")
if [ "$default" = "$make_version" ] && [ -s "$work/fresh" ]; then
	echo "ok: a fresh CREATE EXTENSION bpnn installs $default: $(wc -l < "$work/fresh") catalog lines describe it"
else
	echo "FAILED: the installed default version is '$default' (Makefile: '$make_version'), described by $(wc -l < "$work/fresh") lines"
fi

older=$(psql -X -Atq -d bpnn_upgrade_fresh -c "SELECT version FROM pg_available_extension_versions
	WHERE name = 'bpnn' AND version <> '$default' ORDER BY version")
[ -n "$older" ] || echo "FAILED: no earlier version of bpnn is installed to update from"
for version in $older; do
	db="bpnn_upgrade_from_${version//[^0-9a-z]/_}"
	databases+=("$db")
	createdb "$db"
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" > "$work/setup" 2>&1 <<SQL || true
CREATE EXTENSION bpnn VERSION '$version';
CREATE TABLE flowers (a float8, b float8, c float8, d float8, kind text);
\copy flowers FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE stored_model AS
SELECT bpnn_train('flowers', 'kind', hidden => '{4}', epochs => 20) AS m;
CREATE TABLE stored_text AS SELECT m::text AS doc FROM stored_model;
SQL
	before=$(score "$db" 2>&1)
	if ! psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "ALTER EXTENSION bpnn UPDATE" > "$work/update" 2>&1; then
		echo "FAILED: ALTER EXTENSION bpnn UPDATE from $version: $(cat "$work/setup" "$work/update")"
		continue
	fi
	now=$(psql -X -Atq -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'bpnn'")
	describe "$db" > "$work/updated"
	if [ "$now" = "$default" ] && diff -u "$work/fresh" "$work/updated" > "$work/diff"; then
		echo "ok: CREATE EXTENSION bpnn VERSION '$version' + ALTER EXTENSION bpnn UPDATE gives $now, the same $(wc -l < "$work/updated") catalog lines as a fresh install"
	else
		echo "FAILED: updating from $version gives version '$now' and objects that differ from a fresh install:"
		head -60 "$work/diff"
	fi
	after=$(score "$db" 2>&1)
	same_text=$(psql -X -Atq -d "$db" -c "SELECT m::text = doc AND m::text::bpnn_model::text = doc
		AND bpnn_info(m) ->> 'layers' IS NOT NULL FROM stored_model, stored_text" 2>&1)
	if [ -n "$before" ] && [ "$before" = "$after" ] && [ "$same_text" = "t" ]; then
		echo "ok: a model stored under $version predicts the same 150 rows after the update and reads back to the same text"
	else
		echo "FAILED: a model stored under $version: text unchanged '$same_text', answers before and after the update:"
		echo "${before:0:300}"
		echo "${after:0:300}"
	fi
done
