# Models stored in tables survive an immediate shutdown: crash recovery
# replays them from WAL.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $node = bpnn_node('restart');
my $db = bpnn_database($node, 'bpnn_restart');
$node->safe_psql($db, <<'SQL');
CREATE TABLE models AS
SELECT g AS id, bpnn_train('flowers', 'kind', hidden => ARRAY[4 + g], epochs => 20, seed => g) AS model
FROM generate_series(1, 5) g;
SQL
my $q = "SELECT string_agg(md5(model::text), ',' ORDER BY id) FROM models";
my $before = $node->safe_psql($db, $q);
$node->stop('immediate');
$node->start;
my $after = $node->safe_psql($db, $q);
isnt($before, '', 'five models stored');
is($after, $before, 'models survive an immediate shutdown and restart');

$node->stop;
done_testing();
