# A table 18 times bpnn.memory_limit trains by streaming and reports its
# progress (bpnn.progress).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $node = bpnn_node('stream');
my $db = bpnn_database($node, 'bpnn_stream');
# 60,000 rows x (4 float4 + a class id) = 1172 kB: over 18 times the
# smallest bpnn.memory_limit, 64 kB
$node->safe_psql($db,
	'CREATE TABLE many_flowers AS SELECT f.* FROM flowers f, generate_series(1, 400)');
my ($ret, $out, $err) = $node->psql($db, <<'SQL');
SET bpnn.memory_limit = '64kB';
SET bpnn.progress = on;
SELECT bpnn_info(m)->'training'->>'rows_used', (bpnn_info(m)->'training'->>'train_accuracy')::float8 > 0.9
FROM (SELECT bpnn_train('many_flowers', 'kind', hidden => '{8}', epochs => 20, optimizer => 'adam', learning_rate => 0.1) AS m) s;
SQL
is($ret, 0, 'streaming training succeeds') or diag($err);
like($err, qr/training by streaming/, 'it says it trains by streaming');
my $progress = () = $err =~ /NOTICE:  epoch \d+ of 20: loss [0-9.e-]+, training accuracy/g;
cmp_ok($progress, '>=', 10, "progress reports ($progress)");
is($out, '60000|t', 'all 60,000 rows used, training accuracy above 0.9');

$node->stop;
done_testing();
