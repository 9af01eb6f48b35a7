# bpnn_train on several cores (synchronous data-parallel mini-batches,
# src/parallel_train.c): while the leader and its workers wait on each
# other every mini-batch, a cancel of the statement or the end of one worker
# (pg_terminate_backend: the worker fails) stops the training within a
# second, leaves no parallel worker behind, and the next training works.
# Workers that wait for the leader's weights (a warm start's replay) sleep.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use BpnnTest;

my $node = bpnn_node('parallel_train',
	max_worker_processes => 8,
	max_parallel_workers => 8,
	max_parallel_maintenance_workers => 2);
my $db = bpnn_database($node, 'bpnn_parallel_train');
$node->safe_psql($db,
	'CREATE TABLE many_flowers AS SELECT f.* FROM flowers f, generate_series(1, 2000)');
# batches of 512 rows x 515 weights: 2 workers by the cost rule
my $setup = 'SET bpnn.parallel_training = on; SET bpnn.max_parallel_workers = 2; ';
my $train = "SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000, batch_size => 512)";

# start the endless training; returns once a parallel worker takes part
sub start_training
{
	my ($name) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-q', '-d', $node->connstr($db) . " application_name=$name",
		  '-c', $setup . $train ],
		'>', \$out, '2>', \$err);
	my $workers = 0;
	for (1 .. 600)
	{
		$workers = $node->safe_psql('postgres',
			"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker'");
		last if $workers > 0;
		usleep(100_000);
	}
	ok($workers > 0, "$name: parallel workers train with the leader");
	return ($h, \$out, \$err);
}

my $bound = late_bound_ms($node, $db);

# a cancel of the leader
my ($h, $out, $err) = start_training('bpnn_sync_cancel');
usleep(500_000);
my $start = time();
$node->safe_psql('postgres',
	"SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
	  . "WHERE application_name = 'bpnn_sync_cancel' AND backend_type = 'client backend'");
$h->finish;
my $ms = int((time() - $start) * 1000);
like($$err, qr/canceling statement due to user request/, 'the cancel stopped the training');
cmp_ok($ms, '<', $bound, "... within a second ($ms ms; bound on this machine now: $bound ms)");
no_parallel_worker_left($node);

# a worker ends in the middle of the training: the leader fails with its error
($h, $out, $err) = start_training('bpnn_sync_worker');
usleep(500_000);
$start = time();
is($node->safe_psql('postgres',
		"SELECT pg_terminate_backend(pid) FROM (SELECT pid FROM pg_stat_activity "
		  . "WHERE backend_type = 'parallel worker' LIMIT 1) w"),
	't', 'one worker terminated');
$h->finish;
$ms = int((time() - $start) * 1000);
like($$err, qr/terminating background worker "parallel worker" due to administrator command/,
	"the worker's end fails the leader's statement");
cmp_ok($ms, '<', $bound, "... within a second ($ms ms; bound on this machine now: $bound ms)");
no_parallel_worker_left($node);

# and the next training on several cores works
is($node->safe_psql($db,
		$setup . "SELECT bpnn_info(bpnn_train('many_flowers', 'kind', epochs => 2, batch_size => 512))"
		  . "->'training'->>'workers'"),
	'2', 'the next training uses its workers');

# a warm start first replays the shuffles of the epochs already run (here
# a made-up record of 100,000 epochs over 300,000 rows: minutes of it),
# and meanwhile the workers wait for the leader's first weights.  They wait
# asleep: spinning, each kept a core busy for as long as the leader
# replayed, and on a busy machine that was the core the leader wanted.
$node->safe_psql($db,
	'CREATE TABLE replay_model AS SELECT jsonb_set(jsonb_set(jsonb_set(bpnn_model_to_jsonb(m), '
	  . "'{training,epochs_run}', '100000'), '{training,epochs}', '100000'), "
	  . "'{training,loss_per_epoch}', to_jsonb(array_fill(1.0, ARRAY[100000])))::text::bpnn_model AS m "
	  . "FROM (SELECT bpnn_train('many_flowers', 'kind', epochs => 1, batch_size => 512, keep_state => true) m) s"
);
my ($rout, $rerr) = ('', '');
my $replay = IPC::Run::start(
	[ 'psql', '-X', '-q', '-d', $node->connstr($db) . ' application_name=bpnn_sync_replay',
	  '-c', $setup . "SELECT bpnn_train('many_flowers', 'kind', epochs => 1, init_model => m) FROM replay_model" ],
	'>', \$rout, '2>', \$rerr);
my $replay_workers = "FROM pg_stat_activity w JOIN pg_stat_activity l ON l.pid = w.leader_pid "
  . "WHERE w.backend_type = 'parallel worker' AND l.application_name = 'bpnn_sync_replay'";
my $started = 0;
for (1 .. 600)
{
	$started = $node->safe_psql('postgres', "SELECT count(*) $replay_workers");
	last if $started == 2;
	usleep(50_000);
}
is($started, '2', 'the warm start launched its workers');
usleep(300_000);
my $asleep = 0;
for (1 .. 10)
{
	$asleep++ if $node->safe_psql('postgres',
		"SELECT count(*) = 2 AND bool_and(w.wait_event_type IS NOT DISTINCT FROM 'Extension') $replay_workers")
	  eq 't';
	usleep(50_000);
}
cmp_ok($asleep, '>=', 5, "while the leader replays, its workers wait asleep ($asleep of 10 looks)");
$node->safe_psql('postgres',
	"SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
	  . "WHERE application_name = 'bpnn_sync_replay' AND backend_type = 'client backend'");
$replay->finish;
like($rerr, qr/canceling statement due to user request/, 'a cancel stops the replay');
no_parallel_worker_left($node);

# the workers find the library by its path under $libdir, as the leader
# does: with a bare "bpnn" they looked it up along the server's
# dynamic_library_path, and where that lacks $libdir (MADlib's madpack sets
# one) every worker failed with 'could not access file "bpnn"'
$node->append_conf('postgresql.conf', "dynamic_library_path = '/nonexistent'");
$node->reload;
my ($rc, $stdout, $stderr) = $node->psql($db,
	$setup . 'SET client_min_messages = debug1; '
	  . "SELECT bpnn_info(bpnn_train('many_flowers', 'kind', epochs => 2, batch_size => 512))"
	  . "->'training'->>'workers'");
is($stdout, '2', 'training with workers where dynamic_library_path lacks $libdir') or diag($stderr);
like($stderr, qr/bpnn launched [1-9]\d* of 2 planned parallel workers/, '... and its workers started');
# DEBUG1 also says where the training's time went (the figures vary: only the form is checked)
like($stderr, qr/bpnn parallel training timers: setup [\d.]+ ms, launch [\d.]+ ms, training [\d.]+ ms, /,
	'... and where its time went');
($rc, $stdout, $stderr) = $node->psql($db,
	'SET bpnn.max_parallel_workers = 2; SET client_min_messages = debug1; '
	  . "SELECT count(*) FROM bpnn_cross_validate('flowers', 'kind', folds => 3, epochs => 1)");
is($stdout, '3', 'cross-validation with workers there too') or diag($stderr);
like($stderr, qr/bpnn launched [1-9]\d* of \d+ planned parallel workers/, '... and its workers started');

$node->stop;
done_testing();
