# Eight pgbench clients score rows with a model stored in a table while
# another session retrains and replaces that model, with a different hidden
# layer each time: no errors, and every prediction has the model's shape.
# Bounded to a few seconds.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $node = bpnn_node('concurrency');
my $db = bpnn_database($node, 'bpnn_concurrency');
$node->safe_psql($db, <<'SQL');
CREATE TABLE models (name text PRIMARY KEY, model bpnn_model);
INSERT INTO models VALUES ('current', bpnn_train('flowers', 'kind', epochs => 20));
SQL
# every row must get a class and three probabilities summing to 1, or the
# transaction fails (division by zero), which pgbench counts as an error
my $script = PostgreSQL::Test::Utils::tempdir() . '/score.sql';
PostgreSQL::Test::Utils::append_to_file($script, <<'SQL');
SELECT 1 / (count(*) FILTER (WHERE bpnn_predict(m.model, ARRAY[a, b, c, d]) IS NOT NULL
                              AND array_length(p, 1) = 3
                              AND abs((SELECT sum(x) FROM unnest(p) x) - 1) < 1e-9) / 150)
FROM flowers, models m, LATERAL (SELECT bpnn_predict_proba(m.model, ARRAY[a, b, c, d]) AS p) s
WHERE m.name = 'current';
SQL
my ($bench_out, $bench_err) = ('', '');
my $pgbench = IPC::Run::start(
	[ 'pgbench', '-n', '-c', '8', '-j', '2', '-T', '6', '-f', $script, $node->connstr($db) ],
	'>', \$bench_out, '2>', \$bench_err);
my ($retrains, $retrain_errors) = (0, 0);
my $end = time() + 6;
while (time() < $end)
{
	$retrains++;
	my ($ret) = $node->psql($db,
		"UPDATE models SET model = bpnn_train('flowers', 'kind', hidden => ARRAY[2 + $retrains % 9], "
		  . "epochs => 10, seed => $retrains) WHERE name = 'current'");
	$retrain_errors++ if $ret != 0;
}
my $bench_ok = $pgbench->finish;
my ($processed) = $bench_out =~ /number of transactions actually processed: (\d+)/;
my ($failed) = $bench_out =~ /number of failed transactions: (\d+)/;
ok($bench_ok, 'pgbench exits cleanly') or diag($bench_out . $bench_err);
cmp_ok($processed // 0, '>', 0, "8 clients scored (${\($processed // 0)} transactions)");
is($failed // 0, 0, 'no scoring transaction failed');
is($retrain_errors, 0, "the model was retrained $retrains times, no errors");

$node->stop;
done_testing();
