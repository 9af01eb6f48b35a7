#!/usr/bin/env bash
# META.json, what PGXN reads (meta spec 1.0.0, https://pgxn.org/meta/spec.txt):
# valid JSON with the spec's mandatory keys and no others, a license the spec
# names, and the version of bpnn.control (and the Makefile) as the
# distribution's and the extension's version; the files it names exist.
# Parsed by the server's jsonb.  Run under pg_virtualenv (test/run-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
control_version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" bpnn.control)
make_version=$(sed -n 's/^EXTVERSION *= *//p' Makefile)
psql -X -Atq -d postgres -v meta="$(cat META.json)" -v control="$control_version" -v make="$make_version" <<'SQL'
WITH m AS (SELECT :'meta'::jsonb AS j),
checks(ok, what) AS (
	SELECT j ?& ARRAY['name', 'version', 'abstract', 'maintainer', 'license', 'provides', 'meta-spec'],
	       'the spec''s mandatory keys are there' FROM m
	UNION ALL
	SELECT NOT EXISTS (SELECT FROM jsonb_object_keys(j) k
	                   WHERE k NOT IN ('name', 'version', 'abstract', 'maintainer', 'license', 'provides',
	                                   'meta-spec', 'description', 'generated_by', 'tags', 'no_index',
	                                   'prereqs', 'release_status', 'resources')
	                     AND k !~ '^[xX]_.'),
	       'no key the spec does not define' FROM m
	UNION ALL
	SELECT j #>> '{meta-spec,version}' = '1.0.0', 'meta-spec version 1.0.0' FROM m
	UNION ALL
	SELECT j ->> 'name' = 'bpnn' AND j ? 'provides' AND (j -> 'provides') ? 'bpnn', 'it provides the extension bpnn' FROM m
	UNION ALL
	SELECT j ->> 'version' = :'control' AND j #>> '{provides,bpnn,version}' = :'control' AND :'control' = :'make',
	       format('its version and bpnn''s (%s, %s) are bpnn.control''s default_version (%s) and the Makefile''s EXTVERSION (%s)',
	              j ->> 'version', j #>> '{provides,bpnn,version}', :'control', :'make') FROM m
	UNION ALL
	SELECT j ->> 'version' ~ '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$', 'the version is a semantic version' FROM m
	UNION ALL
	SELECT CASE jsonb_typeof(j -> 'license')
	         WHEN 'string' THEN j ->> 'license' = ANY (valid)
	         WHEN 'array' THEN jsonb_array_length(j -> 'license') > 0
	                           AND (SELECT bool_and(l = ANY (valid)) FROM jsonb_array_elements_text(j -> 'license') l)
	         WHEN 'object' THEN (SELECT count(*) > 0 AND bool_and(jsonb_typeof(v) = 'string')
	                             FROM jsonb_each(j -> 'license') e(k, v))
	         ELSE false END,
	       format('license %s is one the spec names', j -> 'license')
	FROM m, (SELECT ARRAY['agpl_3', 'apache_1_1', 'apache_2_0', 'artistic_1', 'artistic_2', 'bsd', 'freebsd',
	                      'gfdl_1_2', 'gfdl_1_3', 'gpl_1', 'gpl_2', 'gpl_3', 'lgpl_2_1', 'lgpl_3_0', 'mit',
	                      'mozilla_1_0', 'mozilla_1_1', 'openssl', 'perl_5', 'postgresql', 'qpl_1_0', 'ssleay',
	                      'sun', 'zlib', 'open_source', 'restricted', 'unrestricted', 'unknown'] AS valid) v
	UNION ALL
	SELECT coalesce(j ->> 'release_status' IN ('stable', 'testing', 'unstable'), true), 'release_status is stable, testing or unstable' FROM m
)
SELECT CASE WHEN ok THEN 'ok: META.json: ' ELSE 'FAILED: META.json: not so: ' END || what FROM checks;
SQL
for key in file docfile; do
	path=$(echo "SELECT :'meta'::jsonb #>> '{provides,bpnn,$key}';" | psql -X -Atq -d postgres -v meta="$(cat META.json)")
	if [ -n "$path" ] && [ -f "$path" ]; then
		echo "ok: META.json: provides.bpnn.$key $path exists"
	else
		echo "FAILED: META.json: provides.bpnn.$key '$path' is no file of the repository"
	fi
done
