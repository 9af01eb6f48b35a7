# Every ```sql block of README.md runs, verbatim and in order, in one psql
# session in a fresh database, from the repository root (the README's data
# step, its first block, loads test/data from there), and none gives an
# error.  So do the ```sql blocks of each docs/*.md file: each file's in a
# session of its own, in a fresh database, after the README's data step (so
# a page of docs can use the tour's tables, never another page's objects).
# A block opened with ```sql not-run is meant only to be read: it is
# counted, not run.  An error names the file and line where its statement
# ends, because the scripts psql runs keep every block line at its line
# number.  One check per file that has a block to run.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $node = bpnn_node('readme');
my $work = PostgreSQL::Test::Utils::tempdir;

# extract($file, $script, $max): writes to $script the runnable blocks'
# lines where they stand in $file (the first $max runnable blocks only, if
# given), other lines empty; returns the runnable blocks, the not-run
# blocks and the problems found (malformed blocks)
sub extract
{
	my ($file, $script, $max) = @_;
	$max //= 0;
	open my $in, '<', $file or die "cannot read $file: $!";
	open my $out, '>', $script or die "cannot write $script: $!";
	my ($fenced, $runnable, $run, $skipped, $last, $nr) = (0, 0, 0, 0, '', 0);
	my @problems;
	while (my $line = <$in>)
	{
		$nr++;
		chomp $line;
		if ($line =~ /^```/)
		{
			if (!$fenced)
			{
				$fenced = 1;
				(my $info = substr($line, 3)) =~ s/[ \t]+$//;
				if ($info eq 'sql')
				{
					$run++;
					$runnable = ($max == 0 || $run <= $max);
					$last = '';
				}
				elsif ($info eq 'sql not-run') { $runnable = 0; $skipped++; }
				elsif ($info =~ /^sql/)
				{
					$runnable = 0;
					push @problems, "line $nr: unknown block marker \"$info\" (sql or sql not-run)";
				}
				else { $runnable = 0; }
			}
			else
			{
				push @problems,
				  "line $nr: the block before this line ends inside a statement (\"$last\")"
				  if $runnable && $last !~ /;[ \t]*$/ && $last !~ /^\\/;
				$fenced = 0;
				$runnable = 0;
			}
			print $out "\n";
			next;
		}
		if ($fenced && $runnable)
		{
			print $out "$line\n";
			(my $code = $line) =~ s/[ \t]*--.*$//;
			$last = $code if $code =~ /[^ \t]/;
		}
		else { print $out "\n"; }
	}
	push @problems, "line $nr: a block is not closed" if $fenced;
	close $out;
	close $in;
	return ($run, $skipped, join('; ', @problems));
}

# check($file, $run, $skipped, $problems, @scripts): runs the scripts in
# order in one psql session in a fresh database; one check that $file's
# blocks are well formed and ran without an error, each error named by
# the file whose lines its script keeps (the last script is $file's, the
# first, if there are two, README.md's data step)
my $databases = 0;
sub check
{
	my ($file, $run, $skipped, $problems, @scripts) = @_;
	my $db = 'bpnn_readme_' . ++$databases;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	my (undef, $out, $err) = run_against($node,
		[ 'psql', '-X', '-q', '-d', $db, map { ('-f', $_) } @scripts ]);
	$node->safe_psql('postgres', "DROP DATABASE $db");
	# psql:<script>:<line>: ERROR: ... names the line (an error in a file a
	# block includes, such as test/load_data.sql, names that file)
	my @errors = grep { /^psql:[^:]*:[0-9]+: (ERROR|FATAL)/ } split /\n/, "$out\n$err";
	for (@errors)
	{
		s/^psql:\Q$work\E\/data\.sql:([0-9]+): /README.md line $1 (the data step): /;
		s/^psql:\Q$work\E\/script\.sql:([0-9]+): /$file line $1: /;
	}
	my $clean = !@errors && "$out$err" !~ /connection to server/;
	ok($problems eq '' && $clean,
		"$file: $run sql blocks ran without an error ($skipped marked not-run)")
	  or diag($problems ne '' ? "$file: $problems\n" : '',
		$clean ? '' : (@errors ? join("\n", @errors) : "$out$err"));
	return;
}

# README.md: every block, in one session
my ($run, $skipped, $problems) = extract('README.md', "$work/script.sql");
$problems = join('; ', grep { $_ ne '' } $problems, $run < 1 ? 'no sql block' : ());
check('README.md', $run, $skipped, $problems, "$work/script.sql");

# the data step alone, at its README lines, for the docs' sessions
extract('README.md', "$work/data.sql", 1);

# docs/*.md: each file's blocks after the data step, in a session of its own
my @quiet;
for my $doc (sort glob('docs/*.md'))
{
	($run, $skipped, $problems) = extract($doc, "$work/script.sql");
	if ($run > 0)
	{
		check($doc, $run, $skipped, $problems, "$work/data.sql", "$work/script.sql");
	}
	elsif ($problems ne '')
	{
		fail("$doc: $problems");
	}
	elsif ($skipped > 0)
	{
		note("$doc: no sql block to run ($skipped marked not-run)");
	}
	else
	{
		push @quiet, $doc;
	}
}
note("no sql block in @quiet") if @quiet;

$node->stop;
done_testing();
