# bpnn on a real Citus cluster: a coordinator and 2 workers (three nodes
# with shared_preload_libraries = citus, Unix sockets only), a distributed
# copy of the letter data (4 shards) beside a local copy of the same rows.
# Shows that CREATE EXTENSION bpnn reaches the workers; that bpnn_gradient
# and bpnn_train_epoch run pushed down (worker_partial_agg per shard) and
# equal the same aggregate on the local copy to float tolerance; that
# streaming bpnn_train sends its per-epoch aggregate to the workers and
# learns (a classifier, a regressor and a regressor of two outputs, whose
# gradient also equals the local copy's); that bpnn_predict runs on the
# workers; that bpnn_evaluate, bpnn_confusion, bpnn_cross_validate and
# bpnn_fit ... GROUP BY work on the distributed table; and that a worker
# stopped mid-training gives a clean error and leaves nothing half-written.
# Skipped, with the reason, where Citus is not installed for the
# PostgreSQL under test (build it with test/citus/build-citus.sh).
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my ($pkglibdir) = run_command([ 'pg_config', '--pkglibdir' ]);
my ($sharedir) = run_command([ 'pg_config', '--sharedir' ]);
my ($version) = run_command([ 'pg_config', '--version' ]);
chomp($pkglibdir, $sharedir, $version);
plan skip_all => "citus.so (or bpnn) is not installed for $version at $pkglibdir; "
  . 'build it with test/citus/build-citus.sh'
  unless -f "$pkglibdir/citus.so" && -f "$sharedir/extension/bpnn.control";

# node 0 the coordinator, 1 and 2 the workers; they share one socket
# directory, which Citus takes as their host name
my @nodes = map {
	bpnn_node("citus$_", shared_preload_libraries => "'citus'", max_connections => 60)
} 0 .. 2;
$_->safe_psql('postgres', 'CREATE EXTENSION citus') for @nodes;
my $coord = $nodes[0];
my $host = $coord->host;
$coord->safe_psql('postgres', join(";\n",
	"SELECT citus_set_coordinator_host('$host', " . $nodes[0]->port . ')',
	"SELECT citus_add_node('$host', " . $nodes[1]->port . ')',
	"SELECT citus_add_node('$host', " . $nodes[2]->port . ')'));

# psql on the coordinator: (exit status, stdout, stderr)
sub coord
{
	my ($sql) = @_;
	return $coord->psql('postgres', $sql);
}

# check NAME SQL: the query prints t, and nothing else
sub check
{
	my ($name, $sql) = @_;
	my ($ret, $out, $err) = coord($sql);
	ok($ret == 0 && $out eq 't' && $err eq '', $name) or diag("$out\n$err");
	return;
}

# pushed_down NAME QUERY: the aggregate in QUERY is planned as
# worker_partial_agg on each shard and coord_combine_agg on the coordinator
sub pushed_down
{
	my ($name, $query) = @_;
	my (undef, $out, $err) = coord("EXPLAIN (VERBOSE, COSTS OFF) $query");
	my $plan = "$out\n$err";
	ok($plan =~ /worker_partial_agg/ && $plan =~ /coord_combine_agg/,
		"$name is planned as worker_partial_agg on each shard and coord_combine_agg on the coordinator")
	  or diag($plan);
	return;
}

# the first $n lines of $text that match none of @skip, for a diagnosis
sub head_lines
{
	my ($text, $n, @skip) = @_;
	my @lines = grep { my $l = $_; !grep { $l =~ $_ } @skip } split /\n/, $text;
	return join("\n", @lines[ 0 .. ($n < @lines ? $n : scalar @lines) - 1 ]);
}

open my $csv, '<', 'test/data/letter.csv' or die "cannot read test/data/letter.csv: $!";
my $header = <$csv>;
close $csv;
$header =~ s/\r?\n\z//;
my @cols = split /,/, $header;
pop @cols;    # the label
my $cols = join(',', @cols);
my $feats = "ARRAY[$cols]::float8[]";
my $coldefs = join(' float8, ', @cols) . ' float8, label text';
$coord->safe_psql('postgres', <<SQL);
CREATE EXTENSION bpnn;
CREATE TABLE letter_csv ($coldefs);
\\copy letter_csv FROM 'test/data/letter.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE letters_local AS SELECT row_number() OVER () AS id, * FROM letter_csv;
CREATE TABLE letters (LIKE letters_local);
SET citus.shard_count = 4;
SELECT create_distributed_table('letters', 'id');
INSERT INTO letters SELECT * FROM letters_local ORDER BY id;
-- the starting model of the aggregate checks: 1 epoch in memory
CREATE TABLE start_model AS SELECT bpnn_train('letters_local', 'label', features => '{$cols}', epochs => 1) AS m;
SQL

# 1. CREATE EXTENSION bpnn reached the workers
for my $w (1, 2)
{
	my $v = $nodes[$w]->safe_psql('postgres',
		"SELECT extversion FROM pg_extension WHERE extname = 'bpnn'");
	ok($v ne '', "CREATE EXTENSION bpnn on the coordinator reached worker $w (version $v)");
}

# 2. bpnn_gradient pushed down, equal to the local copy's
pushed_down('bpnn_gradient', "SELECT bpnn_gradient(m, $feats, label::text) FROM letters, start_model");
# (the state sums float4 chunk sums of 128 rows in float8: shards cut the
# chunks elsewhere, so sums agree to about 1e-7 relative, 1e-5 is checked)
check('bpnn_gradient on the distributed table equals it on the local copy (rows and accuracy exact; loss and gradient to 1e-5 relative)', "
WITH d AS (SELECT bpnn_gradient(m, $feats, label::text) g FROM letters, start_model),
     l AS (SELECT bpnn_gradient(m, $feats, label::text) g FROM letters_local, start_model)
SELECT (bpnn_state_info(d.g)->>'rows') = (bpnn_state_info(l.g)->>'rows')
   AND (bpnn_state_info(d.g)->>'rows')::int = 20000
   AND abs((bpnn_state_info(d.g)->>'loss')::float8 - (bpnn_state_info(l.g)->>'loss')::float8)
       <= 1e-5 * (bpnn_state_info(l.g)->>'loss')::float8
   AND (bpnn_state_info(d.g)->>'accuracy') = (bpnn_state_info(l.g)->>'accuracy')
   AND (SELECT max(abs(a - b)) <= 1e-5 * max(abs(b))
        FROM unnest(bpnn_state_gradient(d.g), bpnn_state_gradient(l.g)) u(a, b))
FROM d, l");

# 3. bpnn_train_epoch pushed down.  One batch per partial and no momentum:
#    each shard takes one step of its own mean gradient; averaged by rows,
#    that is one full-batch step on all rows, whatever the partition, so it
#    equals the serial aggregate on the local copy up to float rounding.
my $epoch_args = "label::text, 0.5, 0, 20000, 'momentum', 0, 7, 20000";
my $row_feats = 'ARRAY[' . join(', ', map { "r.$_" } @cols) . ']::float8[]';
pushed_down('bpnn_train_epoch', "SELECT bpnn_train_epoch(m, $feats, $epoch_args) FROM letters, start_model");
check('bpnn_train_epoch (one full batch per shard) on the distributed table equals it on the local copy: probabilities of 200 rows within 1e-4', "
WITH d AS (SELECT bpnn_train_epoch(m, $feats, $epoch_args) AS m FROM letters, start_model),
     l AS (SELECT bpnn_train_epoch(m, $feats, $epoch_args) AS m FROM letters_local, start_model)
SELECT max(abs(a - b)) < 1e-4 AND bool_and(d.m::text <> s.m::text)
FROM d, l, start_model s, letters_local r,
     unnest(bpnn_predict_proba(d.m, $row_feats),
            bpnn_predict_proba(l.m, $row_feats)) u(a, b)
WHERE r.id <= 200");
check("bpnn_train_epoch with mini-batches on the shards learns: the averaged model's accuracy beats the starting model's by a point", "
WITH d AS (SELECT bpnn_train_epoch(m, $feats, label::text, 0.2, 0.7, 32, 'momentum', 0, 1, 4096) AS m FROM letters, start_model)
SELECT (bpnn_evaluate(d.m, 'letters_local', 'label')->>'accuracy')::float8
     > (bpnn_evaluate(s.m, 'letters_local', 'label')->>'accuracy')::float8 + 0.01
FROM d, start_model s");

# 4. streaming bpnn_train of the distributed table: its epochs on the workers
# streamed WHAT TABLE CALL: CREATE TABLE TABLE AS SELECT CALL AS m, past
# bpnn.memory_limit, sends at least 5 epochs to the shards
sub streamed
{
	my ($what, $table, $call) = @_;
	my (undef, $out, $err) = coord("SET bpnn.memory_limit = '512kB';
SET citus.log_remote_commands = on;
CREATE TABLE $table AS SELECT $call AS m");
	my $log = "$out\n$err";
	my $sent = () = $log =~ /issuing SELECT .*worker_partial_agg\(.*bpnn_train_epoch/g;
	ok($log =~ /training by streaming/ && $sent >= 5,
		"$what sends each epoch's bpnn_train_epoch to the shards as worker_partial_agg ($sent shard queries logged)")
	  or diag(head_lines($log, 5, qr/issuing/));
	return;
}
streamed('streaming bpnn_train', 'streamed', "bpnn_train('letters', 'label', features => '{$cols}', epochs => 5)");
check('streaming bpnn_train of the distributed table learns (5 epochs: accuracy above 0.5 on the local copy)', "
SELECT (bpnn_evaluate(m, 'letters_local', 'label')->>'accuracy')::float8 > 0.5 FROM streamed");
# a regressor (width from the other 15 columns), the label as float8's text
my $regcols = join(',', grep { $_ ne 'width' } @cols);
my $regcols2 = join(',', grep { $_ ne 'width' && $_ ne 'high' } @cols);
streamed('streaming regression', 'streamed_reg',
	"bpnn_train('letters', 'width', features => '{$regcols}', task => 'regression', epochs => 5)");
check('streaming regression of the distributed table learns (5 epochs: R² above 0.5 on the local copy)', "
SELECT (bpnn_evaluate(m, 'letters_local', 'width')->>'r2')::float8 > 0.5 FROM streamed_reg");
# a regressor of two outputs: a float8[] label (width and height), read by
# the aggregates as float8[]'s text
$coord->safe_psql('postgres', <<SQL);
ALTER TABLE letters ADD COLUMN size float8[];
UPDATE letters SET size = ARRAY[width, high];
ALTER TABLE letters_local ADD COLUMN size float8[];
UPDATE letters_local SET size = ARRAY[width, high];
CREATE TABLE start_reg2 AS
SELECT bpnn_train('letters_local', 'size', features => '{$regcols2}', task => 'regression', epochs => 1) AS m;
SQL
my $regfeats2 = "ARRAY[$regcols2]::float8[]";
pushed_down('bpnn_gradient of a two-output regressor',
	"SELECT bpnn_gradient(m, $regfeats2, size::text) FROM letters, start_reg2");
check('bpnn_gradient of a two-output regressor on the distributed table equals it on the local copy (rows exact; loss and gradient to 1e-5 relative)', "
WITH d AS (SELECT bpnn_gradient(m, $regfeats2, size::text) g FROM letters, start_reg2),
     l AS (SELECT bpnn_gradient(m, $regfeats2, size::text) g FROM letters_local, start_reg2)
SELECT (bpnn_state_info(d.g)->>'rows')::int = 20000 AND (bpnn_state_info(l.g)->>'rows')::int = 20000
   AND abs((bpnn_state_info(d.g)->>'loss')::float8 - (bpnn_state_info(l.g)->>'loss')::float8)
       <= 1e-5 * (bpnn_state_info(l.g)->>'loss')::float8
   AND (SELECT max(abs(a - b)) <= 1e-5 * max(abs(b))
        FROM unnest(bpnn_state_gradient(d.g), bpnn_state_gradient(l.g)) u(a, b))
FROM d, l");
streamed('streaming regression of two outputs', 'streamed_reg2',
	"bpnn_train('letters', 'size', features => '{$regcols2}', task => 'regression', epochs => 5)");
check('streaming regression of two outputs on the distributed table learns (5 epochs: R² of each above 0.5 on the local copy)', "
SELECT bool_and((o->>'r2')::float8 > 0.5) AND count(*) = 2
FROM streamed_reg2, jsonb_array_elements(bpnn_evaluate(m, 'letters_local', 'size')->'outputs') o");

# 5. bpnn_predict runs on the workers
my (undef, $out, $err) = coord("SET citus.log_remote_commands = on;
SELECT count(*) FROM letters, start_model WHERE bpnn_predict(m, $feats) = label");
ok("$out\n$err" =~ /issuing SELECT .*bpnn_predict/, 'bpnn_predict runs on the workers (the shard queries call it)')
  or diag(head_lines("$out\n$err", 5));

# 6. evaluation functions on the distributed table
check('bpnn_evaluate on the distributed table equals it on the local copy (the loss, a sum in another order, to 1e-9 relative)', "
WITH e AS (SELECT bpnn_evaluate(m, 'letters', 'label') d, bpnn_evaluate(m, 'letters_local', 'label') l FROM start_model)
SELECT d - 'loss' = l - 'loss' AND abs((d->>'loss')::float8 - (l->>'loss')::float8) <= 1e-9 * (l->>'loss')::float8
FROM e");
check('bpnn_confusion on the distributed table equals it on the local copy', "
SELECT (SELECT array_agg(c ORDER BY c::text) FROM bpnn_confusion(m, 'letters', 'label') c)
     = (SELECT array_agg(c ORDER BY c::text) FROM bpnn_confusion(m, 'letters_local', 'label') c) FROM start_model");
check('bpnn_cross_validate runs on the distributed table (3 folds, 2 epochs: mean accuracy above 0.3)', "
SELECT avg(accuracy) > 0.3 AND sum(test_rows) = 20000
FROM bpnn_cross_validate('letters', 'label', folds => 3, features => '{$cols}', epochs => 2)");

# 7. bpnn_fit ... GROUP BY.  Its state is internal, which Citus does not
#    push down as a partial aggregate: grouped by a non-distribution column,
#    the shards send their rows and the coordinator trains; grouped by the
#    distribution column, each shard trains its own groups.  Either way the
#    models equal the local copy's bit for bit: bpnn_fit trains on its rows
#    in a canonical order, whatever order they arrive in.
my $bits = "(m::text::jsonb - 'training') || jsonb_build_object('training', (m::text::jsonb->'training') - 'seconds')";
my $fit = qq{bpnn_fit($feats, label::text, '{"epochs": 2, "hidden": [16]}')};
my $ret;
($ret, $out, $err) = coord("SET citus.log_remote_commands = on;
SELECT x_box < 4 AS grp, $fit IS NOT NULL FROM letters GROUP BY 1");
my $queries = () = $err =~ /issuing SELECT/g;
ok($ret == 0 && $queries > 0 && $err !~ /issuing .*bpnn_fit\(/ && $err !~ /ERROR:/,
	"bpnn_fit ... GROUP BY a non-distribution column pulls the rows to the coordinator: $queries shard queries, none calls bpnn_fit")
  or diag(head_lines("$out\n$err", 5, qr/DETAIL/));
check("bpnn_fit ... GROUP BY a non-distribution column: one model per group, bit for bit the local copy's", "
WITH d AS (SELECT x_box < 4 AS grp, count(*) AS n, $fit AS m FROM letters GROUP BY 1),
     l AS (SELECT x_box < 4 AS grp, $fit AS m FROM letters_local GROUP BY 1)
SELECT count(*) = 2 AND bool_and(bpnn_info(d.m)->'training'->>'rows_used' = d.n::text)
   AND bool_and((SELECT $bits FROM (SELECT d.m) s(m)) = (SELECT $bits FROM (SELECT l.m) s(m)))
FROM d JOIN l USING (grp)");
$coord->safe_psql('postgres', <<SQL);
CREATE TABLE letters_by_box AS SELECT * FROM letters_local;
SET citus.shard_count = 4;
SELECT create_distributed_table('letters_by_box', 'x_box');
SQL
($ret, $out, $err) = coord("SET citus.log_remote_commands = on;
SELECT x_box, $fit IS NOT NULL FROM letters_by_box GROUP BY 1");
$queries = () = $err =~ /issuing SELECT .*bpnn_fit\(/g;
ok($ret == 0 && $queries > 0 && $err !~ /ERROR:/,
	"bpnn_fit ... GROUP BY the distribution column runs on the shards: $queries shard queries call bpnn_fit")
  or diag(head_lines("$out\n$err", 5, qr/DETAIL/));
# (x_box 14 and 15 have one class each: NULL models and a WARNING each, on
# the shards and locally)
($ret, $out, $err) = coord("
WITH d AS (SELECT x_box, $fit AS m FROM letters_by_box GROUP BY 1),
     l AS (SELECT x_box, $fit AS m FROM letters_local GROUP BY 1)
SELECT count(*) = (SELECT count(DISTINCT x_box) FROM letters_local) AND count(d.m) = count(*) - 2
   AND bool_and((SELECT $bits FROM (SELECT d.m) s(m)) IS NOT DISTINCT FROM (SELECT $bits FROM (SELECT l.m) s(m)))
FROM d JOIN l USING (x_box)");
my $warnings = () = $err =~ /WARNING:  a bpnn_fit group of [23] rows \(0 skipped\) gets no model/g;
ok($ret == 0 && $out eq 't' && $warnings == 4,
	"bpnn_fit ... GROUP BY the distribution column: bit for bit the local copy's models; the 2 groups of one class get NULL and a WARNING, on the shards as locally")
  or diag("$out\n$err");

# 8. a worker stopped mid-training: a clean error, nothing half-written.
#    The worker stops once the training has finished an epoch on the
#    shards (bpnn_progress() shows it), whatever the speed of the machine.
$coord->safe_psql('postgres', 'CREATE TABLE trained (m bpnn_model)');
($out, $err) = ('', '');
my $client = IPC::Run::start(
	[ 'psql', '-X', '-q', '-d', $coord->connstr('postgres'),
	  '-c', "SET bpnn.memory_limit = '512kB'",
	  '-c', "INSERT INTO trained SELECT bpnn_train('letters', 'label', features => '{$cols}', epochs => 100000)" ],
	'<', \undef, '>&', \$out,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
my $running = $coord->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM bpnn_progress() WHERE command = 'bpnn_train' AND epoch >= 1");
$nodes[2]->stop('immediate');
my $status = $client->finish ? 0 : ($client->result(0) // 1);
my $left = $coord->safe_psql('postgres',
	"SELECT (SELECT count(*) FROM trained) || ',' || (SELECT count(*) FROM pg_prepared_xacts)");
my ($first_error) = $out =~ /^(ERROR: .{0,80})/m;
ok($running && $status != 0 && defined $first_error && $out !~ /terminated abnormally|server closed the connection/i
	  && $left eq '0,0',
	'a worker stopped mid-training gives a clean error ('
	  . ($first_error // 'none') . '), and the coordinator holds no row and no prepared transaction')
  or diag(($running ? '' : "the training never reached its first epoch\n")
	  . "exit $status, rows/prepared '$left', output: " . head_lines($out, 5));

$_->stop for @nodes[ 0, 1 ];
done_testing();
