# pg_cancel_backend stops a long training (in memory, in parallel workers or
# streaming) or cross-validation within a second, parallel workers with it.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $node = bpnn_node('cancel');
my $db = bpnn_database($node, 'bpnn_cancel');
# 300,000 rows: 4.6 MB of float4, streamed under a 1 MB bpnn.memory_limit
$node->safe_psql($db,
	'CREATE TABLE many_flowers AS SELECT f.* FROM flowers f, generate_series(1, 2000)');

for my $sql (
	"SELECT bpnn_train('flowers', 'kind', epochs => 1000000)",
	"SELECT count(*) FROM bpnn_cross_validate('flowers', 'kind', epochs => 1000000)",
	"SET bpnn.memory_limit = '1MB'; SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000)",
	# batches of 512 rows: enough work per batch for 2 workers (the cost rule)
	"SET bpnn.parallel_training = on; SET bpnn.max_parallel_workers = 2; "
	  . "SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000, batch_size => 512)",
	"SET bpnn.max_parallel_workers = 2; "
	  . "SELECT count(*) FROM bpnn_cross_validate('many_flowers', 'kind', epochs => 1000000)")
{
	cancel_within_a_second($node, $db, $sql);
	no_parallel_worker_left($node);
}

$node->stop;
done_testing();
