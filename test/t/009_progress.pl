# bpnn_progress() from another session: a training's row appears, its epoch
# advances while it runs (in memory on one core and on several, streaming,
# cross-validation serial and parallel, bpnn_fit; bpnn_importance's scoring
# passes), a role that may not see the trainer's queries sees no row, and
# the row is gone when the training
# is cancelled or its backend terminated.  Nothing here depends on speed:
# every wait polls, for up to 20 s.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use BpnnTest;

my $node = bpnn_node('progress');
my $db = bpnn_database($node, 'bpnn_progress');
# 105,000 rows x (4 float4 + a class id): over a 1 MB bpnn.memory_limit
$node->safe_psql($db, <<'SQL');
CREATE TABLE many_flowers AS SELECT f.* FROM flowers f, generate_series(1, 700);
CREATE ROLE bpnn_progress_watcher LOGIN;
SQL

# the training's row, as "command|source|phase|fold|folds|epoch|..." ('' when there is none)
sub row_of
{
	my ($app, $role) = @_;
	my $sql = "SELECT concat_ws('|', p.command, coalesce(p.source::text, '-'), p.phase, coalesce(p.fold, 0),
		                 coalesce(p.folds, 0), p.epoch, p.epochs, p.loss IS NOT NULL AND p.loss >= 0,
		                 p.rows, p.rows_per_second > 0, p.elapsed > '0', p.time_left IS NOT NULL,
		                 coalesce(p.leader_pid, 0) = 0, p.datname)
		FROM bpnn_progress() p JOIN pg_stat_activity a USING (pid)
		WHERE a.application_name = 'bpnn_progress_$app' AND a.backend_type = 'client backend'";
	return $node->safe_psql($db, $sql, $role ? (extra_params => [ '-U', $role ]) : ());
}
sub epoch_of { my ($row) = @_; return (split /\|/, $row)[5] // -1; }

# poll $probe (a sub) until $done->(its value) or 20 s; returns the last value
sub poll
{
	my ($probe, $done) = @_;
	my $value;
	for (1 .. 200)
	{
		$value = $probe->();
		last if $done->($value);
		usleep(100_000);
	}
	return $value;
}

# start $sql in the background as application bpnn_progress_$app
my %clients;
sub start
{
	my ($app, $sql) = @_;
	my ($out, $err) = ('', '');
	$clients{$app} = { out => \$out, err => \$err };
	$clients{$app}{h} = IPC::Run::start(
		[ 'psql', '-X', '-q', '-d', $node->connstr($db) . " application_name=bpnn_progress_$app",
		  '-c', $sql ],
		'>', \$out, '2>', \$err);
	return;
}

# stop it (pg_cancel_backend or pg_terminate_backend): then its row must be gone
sub stop
{
	my ($how, $app) = @_;
	$node->safe_psql($db, "SELECT pg_${how}_backend(pid) FROM pg_stat_activity "
		  . "WHERE application_name = 'bpnn_progress_$app' AND backend_type = 'client backend'");
	my $row = poll(sub { row_of($app) }, sub { $_[0] eq '' });
	$clients{$app}{h}->finish;
	is($row, '', "$app: the row is gone after pg_${how}_backend");
	return;
}

# the row must match $pattern once it reaches epoch 1, and its epoch must advance
sub check
{
	my ($app, $what, $pattern) = @_;
	my $first = poll(sub { row_of($app) }, sub { $_[0] ne '' && epoch_of($_[0]) >= 1 });
	like($first, $pattern, "$what: its row") or diag(${ $clients{$app}{err} });
	my $second = poll(sub { row_of($app) },
		sub { $_[0] ne '' && epoch_of($_[0]) > epoch_of($first) });
	cmp_ok(epoch_of($second), '>', epoch_of($first),
		"$what: the epoch advanced from " . epoch_of($first) . ' to ' . epoch_of($second) . ' in a later look');
	return;
}

start('train', "SELECT bpnn_train('flowers', 'kind', epochs => 1000000)");
check('train', 'bpnn_train in memory',
	qr/^bpnn_train\|flowers\|training\|0\|0\|\d+\|1000000\|t\|150\|t\|t\|t\|t\|bpnn_progress$/);
# a role that is no member of the trainer's sees nothing, as pg_stat_activity hides the query
is($node->safe_psql($db, 'SELECT count(*) FROM bpnn_progress()',
		extra_params => [ '-U', 'bpnn_progress_watcher' ]),
	'0', "a role outside the trainer's sees no row");
$node->safe_psql($db, 'GRANT pg_read_all_stats TO bpnn_progress_watcher');
isnt(row_of('train', 'bpnn_progress_watcher'), '', 'a member of pg_read_all_stats sees the row');
$node->safe_psql($db, 'REVOKE pg_read_all_stats FROM bpnn_progress_watcher');
stop('cancel', 'train');

# on several cores (bpnn.parallel_training; batches of 512 rows, enough
# work for 2 workers): the leader reports the epochs
start('parallel', "SET bpnn.parallel_training = on; SET bpnn.max_parallel_workers = 2; "
	  . "SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000, batch_size => 512)");
check('parallel', 'bpnn_train on several cores',
	qr/^bpnn_train\|many_flowers\|training\|0\|0\|\d+\|1000000\|t\|105000\|t\|t\|t\|t\|/);
stop('cancel', 'parallel');

start('stream', "SET bpnn.memory_limit = '1MB'; SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000)");
check('stream', 'bpnn_train streaming',
	qr/^bpnn_train\|many_flowers\|streaming\|0\|0\|\d+\|1000000\|t\|105000\|t\|t\|t\|t\|/);
stop('terminate', 'stream');
like(${ $clients{stream}{err} }, qr/terminating connection due to administrator command/,
	"the terminated training's client was told so");

start('cv', "SET bpnn.max_parallel_workers = 0; "
	  . "SELECT count(*) FROM bpnn_cross_validate('flowers', 'kind', epochs => 1000000)");
check('cv', 'bpnn_cross_validate, serial',
	qr/^bpnn_cross_validate\|flowers\|training\|1\|10\|\d+\|1000000\|t\|135\|t\|t\|t\|t\|/);
stop('cancel', 'cv');

# a parallel cross-validation: the leader and each worker show their own fold
start('pcv', "SET bpnn.max_parallel_workers = 2; SET max_parallel_workers = 8; "
	  . "SET max_parallel_maintenance_workers = 2; "
	  . "SELECT count(*) FROM bpnn_cross_validate('flowers', 'kind', epochs => 1000000)");
my $rows = poll(
	sub {
		$node->safe_psql($db,
			"SELECT count(*) FILTER (WHERE p.leader_pid IS NULL) || '|' || count(*) FILTER (WHERE p.leader_pid = a.pid)
			        || '|' || count(DISTINCT p.fold)
			 FROM pg_stat_activity a JOIN bpnn_progress() p ON p.pid = a.pid OR p.leader_pid = a.pid
			 WHERE a.application_name = 'bpnn_progress_pcv' AND a.backend_type = 'client backend'");
	},
	sub { $_[0] eq '1|2|3' });
is($rows, '1|2|3', 'a parallel cross-validation shows its leader and its 2 workers, each on its own fold');
stop('cancel', 'pcv');
is($node->safe_psql($db, 'SELECT count(*) FROM bpnn_progress() WHERE leader_pid IS NOT NULL'),
	'0', "no worker's row is left");

start('fit', q{SELECT bpnn_fit(ARRAY[a, b, c, d], kind, '{"epochs": 1000000}') FROM flowers});
check('fit', 'bpnn_fit', qr/^bpnn_fit\|-\|training\|0\|0\|\d+\|1000000\|t\|150\|t\|t\|t\|t\|/);
stop('cancel', 'fit');

# bpnn_importance: reading, then scoring, its passes (1 + 4 columns x 1000
# repeats) as epochs, with no loss
$node->safe_psql($db, "CREATE TABLE flowers_model AS SELECT bpnn_train('flowers', 'kind', epochs => 5) AS m");
start('importance', "SELECT count(*) FROM bpnn_importance((SELECT m FROM flowers_model), 'many_flowers', 'kind', repeats => 1000)");
check('importance', 'bpnn_importance',
	qr/^bpnn_importance\|many_flowers\|scoring\|0\|0\|\d+\|4001\|f\|105000\|t\|t\|t\|t\|bpnn_progress$/);
stop('cancel', 'importance');

$node->stop;
done_testing();
