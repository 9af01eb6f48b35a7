# bpnn through the drivers reporting tools and ETL jobs use (issue 13):
# Debian's python3-psycopg2, pgjdbc (libpostgresql-jdbc-java, compiled and
# run with default-jdk-headless) and psqlODBC (odbc-postgresql, unixodbc,
# driven by python3-pyodbc), all installed by test/setup.sh.  In a fresh
# database with the README's data step (test/load_data.sql) and a model
# (iris_model), it runs the snippets of docs/clients.md as written (only
# the connection parameters replaced), then each driver's checks in
# test/clients/ (each prints one ok:/FAILED: line per check): training,
# scoring with untyped and string parameters, a model out and back in as
# text, bytea, jsonb and COPY, and the ODBC catalog with the settings that
# page gives.  A driver that is not installed is a skip, with the reason.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

# the drivers connect over TCP (pgjdbc has no Unix sockets)
my $node = bpnn_node('clients', listen_addresses => "'localhost'");
my $db = 'bpnn_clients';
$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db, <<'SQL');
CREATE EXTENSION bpnn;
\i test/load_data.sql
SET client_min_messages = warning;
CREATE TABLE iris_model AS SELECT bpnn_train('iris', 'label') AS model;
SQL
my $expected = $node->safe_psql($db,
	'SELECT bpnn_predict(model, ARRAY[5.1, 3.5, 1.4, 0.2]::float8[]) FROM iris_model');
my $work = PostgreSQL::Test::Utils::tempdir;
my ($host, $port) = ('localhost', $node->port);
my $user = $node->safe_psql('postgres', 'SELECT current_user');
my $password = '';
my $python = '/usr/bin/python3';

# the docs/clients.md block after its marker for $name
sub snippet
{
	my ($name) = @_;
	return marked_block('docs/clients.md', "test/t/012_clients.pl: $name");
}


# runs a docs/clients.md snippet (the command @$cmd) and checks that it
# printed the expected class (first line of its output)
sub snippet_check
{
	my ($name, $cmd, %env) = @_;
	my ($status, $out, $err) = run_against($node, $cmd, %env);
	my ($first) = split /\n/, $out;
	ok($status == 0 && defined $first && $first eq $expected,
		"docs/clients.md's $name snippet runs and predicts $expected")
	  or diag("$out$err");
	return;
}


sub has_python_module
{
	my ($module) = @_;
	return runs($python, '-c', "import $module");
}

SKIP:
{
	skip "psycopg2 checks: $python cannot import psycopg2 (Debian: python3-psycopg2)", 1
	  unless has_python_module('psycopg2');
	write_file("$work/readme_psycopg2.py", snippet('psycopg2'));
	snippet_check('psycopg2', [ $python, "$work/readme_psycopg2.py" ], PGDATABASE => $db);
	helper_results('test/clients/psycopg2_client.py',
		run_against($node, [ $python, 'test/clients/psycopg2_client.py' ], PGDATABASE => $db));
}

SKIP:
{
	my $jar = '/usr/share/java/postgresql.jar';
	skip "pgjdbc checks: javac or $jar is missing (Debian: default-jdk-headless, libpostgresql-jdbc-java)", 1
	  unless runs('sh', '-c', 'command -v javac') && -r $jar;
	my $url = "jdbc:postgresql://$host:$port/$db";
	my $main = snippet('jdbc');
	$main =~ s|jdbc:postgresql://localhost:5432/postgres|$url|g;
	$main =~ s|"postgres", "secret"|"$user", "$password"|g;
	write_file("$work/ReadmeJdbc.java",
		    "import java.sql.*;\n"
		  . "public class ReadmeJdbc { public static void main(String[] args) throws SQLException {\n"
		  . $main . "} }\n");
	my ($status, $out, $err) = run_against($node,
		[ 'javac', '-cp', $jar, '-d', $work, "$work/ReadmeJdbc.java", 'test/clients/JdbcClient.java' ]);
	if ($status != 0)
	{
		fail('pgjdbc checks compile');
		diag("$out$err");
	}
	else
	{
		snippet_check('jdbc', [ 'java', '-cp', "$work:$jar", 'ReadmeJdbc' ]);
		helper_results('JdbcClient',
			run_against($node, [ 'java', '-cp', "$work:$jar", 'JdbcClient', $url, $user, $password ]));
	}
}

SKIP:
{
	skip 'psqlODBC checks: pyodbc or the "PostgreSQL Unicode" driver is missing (Debian: python3-pyodbc, odbc-postgresql, unixodbc)', 1
	  unless has_python_module('pyodbc')
	  && runs('odbcinst', '-q', '-d', '-n', 'PostgreSQL Unicode');
	my $code = snippet('odbc');
	# the page's settings, from the snippet itself
	my ($settings) = $code =~ /(UnknownsAsLongVarchar=[^"]*)/;
	$code =~ s/SERVER=localhost;PORT=5432;DATABASE=postgres;/SERVER=$host;PORT=$port;DATABASE=$db;/g;
	$code =~ s/UID=postgres;PWD=secret;/UID=$user;PWD=$password;/g;
	write_file("$work/readme_odbc.py", $code);
	snippet_check('ODBC', [ $python, "$work/readme_odbc.py" ]);
	helper_results('test/clients/odbc_client.py',
		run_against($node, [ $python, 'test/clients/odbc_client.py',
			"DRIVER={PostgreSQL Unicode};SERVER=$host;PORT=$port;DATABASE=$db;UID=$user;PWD=$password;",
			$settings // '' ]));
}

$node->stop;
done_testing();
