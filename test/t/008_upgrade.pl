# ALTER EXTENSION bpnn UPDATE from every earlier version leaves the same
# objects as a fresh CREATE EXTENSION bpnn, and a model stored under the
# old version still works.  The versions come from
# pg_available_extension_versions, the objects from pg_depend (every member
# of the extension, test/perl/describe_extension.sql).  Also: the control
# file's default version is the Makefile's, and each update script refuses
# to be run by psql.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $makefile = PostgreSQL::Test::Utils::slurp_file('Makefile');
my $control = PostgreSQL::Test::Utils::slurp_file('bpnn.control');
my ($make_version) = $makefile =~ /^EXTVERSION\s*=\s*(\S+)/m;
my ($control_version) = $control =~ /^default_version\s*=\s*'([^']*)'/m;
ok(defined $make_version, 'the Makefile names EXTVERSION');
is($control_version, $make_version, "bpnn.control's default_version is the Makefile's EXTVERSION");
for my $script (sort glob('sql/install/bpnn--*--*.sql'))
{
	like(PostgreSQL::Test::Utils::slurp_file($script),
		qr/^\\echo Use "ALTER EXTENSION bpnn UPDATE[^\n]*\\quit$/m,
		"$script starts with the psql guard");
}

my $node = bpnn_node('upgrade');
my $describe = PostgreSQL::Test::Utils::slurp_file('test/perl/describe_extension.sql');
$node->safe_psql('postgres', 'CREATE DATABASE bpnn_upgrade_fresh');
$node->safe_psql('bpnn_upgrade_fresh', 'CREATE EXTENSION bpnn');
my $fresh = $node->safe_psql('bpnn_upgrade_fresh', $describe);
my $lines = () = $fresh =~ /\n/g;
is($node->safe_psql('bpnn_upgrade_fresh',
		"SELECT default_version FROM pg_available_extensions WHERE name = 'bpnn'"),
	$make_version, "a fresh CREATE EXTENSION bpnn installs $make_version");
cmp_ok($lines, '>', 100, "... and $lines catalog lines describe it");

# a small model and its answers, to compare after an update
my $score = "SELECT string_agg(format('%s %s', bpnn_predict(m, ARRAY[a, b, c, d]), "
  . "bpnn_predict_proba(m, ARRAY[a, b, c, d])), ',' ORDER BY a, b, c, d) FROM stored_model, flowers";
my @older = split /\n/, $node->safe_psql('postgres',
	"SELECT version FROM pg_available_extension_versions WHERE name = 'bpnn' "
	  . "AND version <> '$make_version' ORDER BY version");
ok(@older > 0, 'earlier versions of bpnn are installed to update from: ' . join(', ', @older));
for my $version (@older)
{
	(my $db = "bpnn_upgrade_from_$version") =~ s/[^0-9a-z]/_/g;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, <<SQL);
CREATE EXTENSION bpnn VERSION '$version';
CREATE TABLE flowers (a float8, b float8, c float8, d float8, kind text);
\\copy flowers FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE stored_model AS
SELECT bpnn_train('flowers', 'kind', hidden => '{4}', epochs => 20) AS m;
CREATE TABLE stored_text AS SELECT m::text AS doc FROM stored_model;
SQL
	my $before = $node->safe_psql($db, $score);
	my ($ret, $out, $err) = $node->psql($db, 'ALTER EXTENSION bpnn UPDATE');
	is($ret, 0, "ALTER EXTENSION bpnn UPDATE from $version") or diag($err);
	is($node->safe_psql($db, "SELECT extversion FROM pg_extension WHERE extname = 'bpnn'"),
		$make_version, "... gives $make_version");
	my $updated = $node->safe_psql($db, $describe);
	ok($updated eq $fresh, "... with the same $lines catalog lines as a fresh install")
	  or diag(join("\n", grep { my $l = $_; index($fresh, $l) < 0 } split /\n/, $updated));
	isnt($before, '', "a model stored under $version scores the 150 rows");
	is($node->safe_psql($db, $score), $before, '... the same after the update');
	is($node->safe_psql($db,
			"SELECT m::text = doc AND m::text::bpnn_model::text = doc "
			  . "AND bpnn_info(m) ->> 'layers' IS NOT NULL FROM stored_model, stored_text"),
		't', '... and reads back to the same text');
}

$node->stop;
done_testing();
