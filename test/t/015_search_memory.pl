# bpnn_search's memory does not grow with its settings times the size of
# its options: 30 settings whose options hold a 4 MB class_weights string
# raise a fresh backend's peak resident size (VmHWM) by far less than the
# 30 copies the search kept before (each setting's merged options, twice,
# and its values until the end: 7 times the options per setting, about
# 840 MB here; 13.9 GB for 100 settings of 20 MB).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $node = bpnn_node('search_memory');
my $db = bpnn_database($node, 'bpnn_search_memory');

my $out = $node->safe_psql($db, <<'SQL');
CREATE FUNCTION pg_temp.peak_kb() RETURNS bigint LANGUAGE sql AS $$
	SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+) kB'))[1]::bigint $$;
SELECT pg_temp.peak_kb();
SELECT count(*) FROM bpnn_search('flowers', 'kind',
	(SELECT jsonb_build_object('seed', jsonb_agg(g)) FROM generate_series(1, 30) g),
	folds => 2,
	options => jsonb_build_object('epochs', 1, 'hidden', '[2]'::jsonb,
		'class_weights', '{"setosa": 2' || repeat(' ', 4000000) || '}'));
SELECT pg_temp.peak_kb();
SQL
my ($before, $settings, $after) = split /\n/, $out;
is($settings, 30, 'bpnn_search cross-validated 30 settings with 4 MB options');
my $grew = $after - $before;
cmp_ok($grew, '<', 256 * 1024,
	"... and the backend's peak grew by $grew kB, less than 256 MB (it grew by 860 MB before the fix)");

$node->stop;
done_testing();
