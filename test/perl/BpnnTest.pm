# test/perl/BpnnTest.pm — what bpnn's TAP tests (test/t/*.pl) share: a node
# of PostgreSQL's own test framework (PostgreSQL::Test::Cluster, shipped with
# PGXS) with bpnn installed, a database holding the iris rows, the
# one-second cancel check, running a program (against a node), counting
# the ok:/FAILED: lines of the helper programs (test/clients, test/onnx),
# the fenced block that follows a marker line in a docs page, and writing
# a file.  The
# tests run from the repository root.
package BpnnTest;

use strict;
use warnings;
use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

our @EXPORT = qw(bpnn_node bpnn_database timed_statement late_bound_ms
  cancel_within_a_second no_parallel_worker_left run_against runs
  helper_results marked_block write_file);

# a started node; %conf: postgresql.conf settings
sub bpnn_node
{
	my ($name, %conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf',
		join('', map { "$_ = $conf{$_}\n" } sort keys %conf))
	  if %conf;
	$node->start;
	return $node;
}

# a new database with bpnn and the iris rows as flowers(a, b, c, d, kind)
sub bpnn_database
{
	my ($node, $db) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, <<'SQL');
CREATE EXTENSION bpnn;
CREATE TABLE flowers (a float8, b float8, c float8, d float8, kind text);
\copy flowers FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER)
SQL
	return $db;
}

# run $setup (its output discarded), then time the statement $sql by psql's \timing (the round
# trip of that statement alone: no connection or library loading, which a
# loaded machine slows); returns (milliseconds, stdout, stderr)
sub timed_statement
{
	my ($node, $db, $setup, $sql) = @_;
	my ($ret, $out, $err) =
	  $node->psql($db, "\\o /dev/null\n$setup\n\\o\n\\timing on\n$sql;\n");
	my @times = $out =~ /^Time: ([0-9.]+) ms/mg;
	$out =~ s/^Time: .*\n?//mg;
	$out =~ s/\n+\z//;
	return (@times ? int($times[-1]) : -1, $out, $err);
}

# how late a statement may stop after its timeout or cancel: a second, or
# on a machine too loaded to give the backend a core (other jobs on the same
# cores, as on shared CI machines), 10 times a fixed piece of work timed
# now (2 million rows counted, about 0.1 s on an idle core)
sub late_bound_ms
{
	my ($node, $db) = @_;
	my ($ms) = timed_statement($node, $db, '',
		'SELECT count(*) FROM generate_series(1, 2000000)');
	return $ms > 100 ? 10 * $ms : 1000;
}

# run $sql in the background, pg_cancel_backend it after 1.5 s: it must
# stop with "canceling statement due to user request" within a second
# (late_bound_ms)
sub cancel_within_a_second
{
	my ($node, $db, $sql) = @_;
	my $bound = late_bound_ms($node, $db);
	my ($out, $err) = ('', '');
	my $psql = IPC::Run::start(
		[ 'psql', '-X', '-q', '-d', $node->connstr($db) . " application_name=bpnn_cancel_me",
		  '-c', $sql ],
		'>', \$out, '2>', \$err);
	usleep(1_500_000);
	my $start = time();
	$node->safe_psql('postgres',
		"SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
		  . "WHERE application_name = 'bpnn_cancel_me' AND backend_type = 'client backend'");
	$psql->finish;
	my $ms = int((time() - $start) * 1000);
	my $what = substr($sql, 0, 60);
	like($err, qr/canceling statement due to user request/, "pg_cancel_backend stopped '$what...'");
	cmp_ok($ms, '<', $bound, "... within a second ($ms ms; bound on this machine now: $bound ms)");
	return;
}

# the parallel workers of a cancelled statement are gone within a second
sub no_parallel_worker_left
{
	my ($node) = @_;
	my $left;
	for (1 .. 10)
	{
		$left = $node->safe_psql('postgres',
			"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker'");
		last if $left eq '0';
		usleep(100_000);
	}
	is($left, '0', 'no parallel worker left');
	return;
}

# run the command @$cmd (no shell) with the libpq environment naming $node
# (PGHOST, PGPORT) and %env added; returns (exit status, stdout, stderr)
sub run_against
{
	my ($node, $cmd, %env) = @_;
	local %ENV = (%ENV, PGHOST => $node->host, PGPORT => $node->port, %env);
	my ($out, $err) = ('', '');
	IPC::Run::run($cmd, '<', \undef, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# whether the command @_ (no shell) runs and exits 0, its output discarded
sub runs
{
	my ($out, $err);
	return eval { IPC::Run::run([@_], '<', \undef, '>', \$out, '2>', \$err) } ? 1 : 0;
}

# write $bytes to the file $path, as they are
sub write_file
{
	my ($path, $bytes) = @_;
	open my $fh, '>:raw', $path or die "cannot write $path: $!";
	print $fh $bytes;
	close $fh or die "cannot write $path: $!";
	return;
}

# one assertion per line of a helper program's output that begins "ok: "
# (passes) or "FAILED: " (fails); other lines are notes.  A helper that
# exits non-zero, or reports no check at all, is one more failure.
sub helper_results
{
	my ($what, $status, $out, $err) = @_;
	my $checks = 0;
	for my $line (split /\n/, $out)
	{
		if ($line =~ /^ok: (.*)/) { pass($1); $checks++; }
		elsif ($line =~ /^FAILED: (.*)/) { fail($1); $checks++; }
		else { note($line); }
	}
	if ($status != 0)
	{
		fail("$what stopped with an error (exit $status)");
		diag($err);
	}
	elsif ($checks == 0)
	{
		fail("$what reported no check");
		diag($err);
	}
	return;
}

# the lines of the fenced block that follows the line "<!-- $marker -->"
# in $file (a docs page), '' if there is none
sub marked_block
{
	my ($file, $marker) = @_;
	open my $fh, '<', $file or die "cannot read $file: $!";
	my ($found, $inside, $block) = (0, 0, '');
	while (my $line = <$fh>)
	{
		chomp $line;
		if (!$found) { $found = $line eq "<!-- $marker -->"; next; }
		if ($line =~ /^```/) { last if $inside; $inside = 1; next; }
		$block .= "$line\n" if $inside;
	}
	close $fh;
	return $block;
}

1;
