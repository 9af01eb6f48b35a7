# Models survive pg_dump / pg_restore exactly: the text form round-trips,
# and the restored models predict the same.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $node = bpnn_node('dump_restore');
my $src = bpnn_database($node, 'bpnn_dump_src');
$node->safe_psql('postgres', 'CREATE DATABASE bpnn_dump_dst');
$node->safe_psql($src, <<'SQL');
CREATE TABLE credit (seniority int, home text, "time" int, age int, marital text, records text,
                     job text, expenses int, income int, assets int, debt int, amount int,
                     price int, label text);
\copy credit FROM 'test/data/credit.csv' WITH (FORMAT csv, HEADER)
SET client_min_messages = warning;
CREATE TABLE models (name text PRIMARY KEY, model bpnn_model);
INSERT INTO models VALUES
	('iris', bpnn_train('flowers', 'kind')),
	('iris cross-entropy', bpnn_train('flowers', 'kind', loss => 'cross_entropy', optimizer => 'adam', learning_rate => 0.01)),
	('credit', bpnn_train('credit', 'label', missing => 'impute'));
SQL
my $dump = PostgreSQL::Test::Utils::tempdir() . '/dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr($src) ], 'pg_dump');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('bpnn_dump_dst'), $dump ], 'pg_restore');

my $q = "SELECT string_agg(name || ':' || md5(model::text), ',' ORDER BY name) FROM models";
my $models = $node->safe_psql($src, $q);
like($models, qr/^credit:\w+,iris:\w+,iris cross-entropy:\w+$/, 'three models stored');
is($node->safe_psql('bpnn_dump_dst', $q), $models, 'models restored from pg_dump are identical');
my $p = "SELECT count(*) || ':' || md5(string_agg(bpnn_predict(model, to_jsonb(c)), ',' ORDER BY c.ctid)) "
  . "FROM models, credit c WHERE name = 'credit'";
my $answers = $node->safe_psql($src, $p);
like($answers, qr/^\d{3,}:/, 'the credit model scores every row');
is($node->safe_psql('bpnn_dump_dst', $p), $answers, 'restored models predict the same');

$node->stop;
done_testing();
