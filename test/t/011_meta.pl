# META.json, what PGXN reads (meta spec 1.0.0, https://pgxn.org/meta/spec.txt):
# valid JSON with the spec's mandatory keys and no others, a license the spec
# names, and the version of bpnn.control (and the Makefile) as the
# distribution's and the extension's version; the files it names exist.
# Parsed by the server's jsonb.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $node = bpnn_node('meta');
my $meta = slurp_file('META.json');
my ($control_version) = slurp_file('bpnn.control') =~ /^default_version *= *'(.*)'/m;
my ($make_version) = slurp_file('Makefile') =~ /^EXTVERSION *= *(.*?)\s*$/m;
my @vars = ('-v', "meta=$meta", '-v', 'control=' . ($control_version // ''),
	'-v', 'make=' . ($make_version // ''));

# one row per check: t or f, and what it checks
my $checks = $node->safe_psql('postgres', <<'SQL', extra_params => \@vars);
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
SELECT ok, what FROM checks;
SQL
for my $row (split /\n/, $checks)
{
	my ($ok, $what) = split /\|/, $row, 2;
	ok($ok eq 't', "META.json: $what");
}

for my $key ('file', 'docfile')
{
	my $path = $node->safe_psql('postgres', "SELECT :'meta'::jsonb #>> '{provides,bpnn,$key}'",
		extra_params => [ '-v', "meta=$meta" ]);
	ok($path ne '' && -f $path, "META.json: provides.bpnn.$key '$path' is a file of the repository");
}

$node->stop;
done_testing();
