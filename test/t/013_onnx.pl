# bpnn_onnx's files in runtimes independent of bpnn (issue 15): in a fresh
# database it trains models on real data (iris with each hidden activation,
# squared error and cross-entropy; wine, two hidden layers; concrete, a
# regressor of one output and one of two; credit's numeric columns with
# missing values imputed), exports each with bpnn_onnx, checks each file
# with Debian's python3-onnx (onnx.checker, full check: test/onnx/check.py)
# and runs every row of its table through onnxruntime-node 1.30 (CPU),
# comparing with bpnn_predict_proba and bpnn_predict, or
# bpnn_predict_values, within a bound derived from the arithmetic
# (test/onnx/parity.js says how; both helpers print one ok:/FAILED: line
# per model).  docs/onnx.md's JavaScript snippet runs as written, and a
# LATIN1 database's class names come out in UTF-8.  Both runtimes are
# installed by test/setup.sh (npm ci --ignore-scripts in test/onnx); one
# that is not installed is a skip, with the reason.
use strict;
use warnings;
use Cwd;
use IPC::Run;
use MIME::Base64;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $node = bpnn_node('onnx');
my $db = 'bpnn_onnx';
my $work = PostgreSQL::Test::Utils::tempdir;
my $python = '/usr/bin/python3';
$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db, <<'SQL');
CREATE EXTENSION bpnn;
\i test/fixtures/iris.sql
\i test/fixtures/wine.sql
\i test/fixtures/concrete.sql
\i test/fixtures/credit.sql
SET client_min_messages = warning;
CREATE TABLE concrete_two AS
SELECT cement, water, age, superplasticizer, ARRAY[compressive_strength, fine_aggregate] AS y FROM concrete;
-- name, model, the table its rows come from and the label column
CREATE TABLE onnx_models (name text, model bpnn_model, source text, label text);
INSERT INTO onnx_models VALUES
 ('iris_bipolar_sigmoid', bpnn_train('iris', 'label', epochs => 100), 'iris', 'label'),
 ('iris_tanh', bpnn_train('iris', 'label', epochs => 100, activation => 'tanh', hidden => '{16, 8}'), 'iris', 'label'),
 ('iris_sigmoid', bpnn_train('iris', 'label', epochs => 100, activation => 'sigmoid'), 'iris', 'label'),
 ('iris_relu', bpnn_train('iris', 'label', epochs => 100, activation => 'relu'), 'iris', 'label'),
 ('iris_softmax', bpnn_train('iris', 'label', epochs => 100, loss => 'cross_entropy'), 'iris', 'label'),
 ('iris_relu_softmax', bpnn_train('iris', 'label', epochs => 100, activation => 'relu', loss => 'cross_entropy',
                                  normalization => 'minmax'), 'iris', 'label'),
 ('wine', bpnn_train('wine', 'label', epochs => 100, hidden => '{32, 16}'), 'wine', 'label'),
 ('wine_softmax', bpnn_train('wine', 'label', epochs => 100, loss => 'cross_entropy', optimizer => 'adam',
                             learning_rate => 0.01), 'wine', 'label'),
 ('concrete', bpnn_train('concrete', 'compressive_strength', epochs => 100, task => 'regression'),
  'concrete', 'compressive_strength'),
 ('concrete_two_outputs', bpnn_train('concrete_two', 'y', epochs => 100, task => 'regression',
                                     activation => 'tanh'), 'concrete_two', 'y'),
 ('credit_impute', bpnn_train('credit', 'label', epochs => 20, missing => 'impute',
                              features => ARRAY['seniority', 'time', 'age', 'expenses', 'income', 'assets',
                                                'debt', 'amount', 'price']), 'credit', 'label');
-- every row of a model's table as the float8[] form takes it (its features
-- in the model's order, NULL where missing), with bpnn's own predictions
CREATE FUNCTION rows_json(name text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	m bpnn_model;
	src text;
	result json;
BEGIN
	SELECT o.model, o.source INTO m, src FROM onnx_models o WHERE o.name = rows_json.name;
	EXECUTE format($q$
		SELECT json_agg(CASE WHEN bpnn_info($1)->>'task' = 'regression'
		                     THEN json_build_object('x', x, 'v', bpnn_predict_values($1, x))
		                     ELSE json_build_object('x', x, 'p', bpnn_predict_proba($1, x), 'label', bpnn_predict($1, x))
		                END)
		FROM (SELECT ARRAY(SELECT (to_jsonb(t)->>f)::float8
		                   FROM jsonb_array_elements_text(bpnn_info($1)->'features') WITH ORDINALITY AS a(f, i)
		                   ORDER BY i) AS x
		      FROM %I t) r$q$, src) INTO result USING m;
	RETURN result;
END $$;
SQL



# each model's file, its text form and its rows with bpnn's predictions
my @names = split /\n/, $node->safe_psql($db, 'SELECT name FROM onnx_models ORDER BY name');
for my $name (@names)
{
	write_file("$work/$name.onnx", decode_base64($node->safe_psql($db,
		"SELECT encode(bpnn_onnx(model), 'base64') FROM onnx_models WHERE name = '$name'")));
	write_file("$work/$name.model.json",
		$node->safe_psql($db, "SELECT model::text FROM onnx_models WHERE name = '$name'") . "\n");
	write_file("$work/$name.rows.json",
		$node->safe_psql($db, "SELECT rows_json('$name')") . "\n");
}

my $has_onnx = runs($python, '-c', 'import onnx');
my $has_runtime = -d 'test/onnx/node_modules/onnxruntime-node' && runs('sh', '-c', 'command -v node');

SKIP:
{
	skip 'onnx.checker: python3-onnx is not installed (test/setup.sh installs it)', 1
	  unless $has_onnx;
	helper_results('test/onnx/check.py',
		run_against($node, [ $python, 'test/onnx/check.py', map { "$work/$_.onnx" } @names ]));
}

SKIP:
{
	skip 'onnxruntime-node: not installed (test/setup.sh runs npm ci --ignore-scripts in test/onnx)', 1
	  unless $has_runtime;
	helper_results('test/onnx/parity.js', run_against($node, [ 'node', 'test/onnx/parity.js', $work ]));
}

# docs/onnx.md's JavaScript snippet as written, on the iris model, from a
# directory holding it as iris.onnx: its first line is the labels
# bpnn_predict gives its two rows
my $snippet = marked_block('docs/onnx.md', 'test/t/013_onnx.pl: javascript');
if ($snippet eq '')
{
	fail("docs/onnx.md has a JavaScript snippet after its test/t/013_onnx.pl marker");
}
else
{
	SKIP:
	{
		skip "docs/onnx.md's JavaScript snippet: onnxruntime-node is not installed", 1
		  unless $has_runtime;
		mkdir "$work/snippet" or die "mkdir: $!";
		write_file("$work/snippet/iris.onnx", slurp_file("$work/iris_bipolar_sigmoid.onnx"));
		write_file("$work/snippet/snippet.js", $snippet);
		my $expected = $node->safe_psql($db, q{SELECT format('[ ''%s'', ''%s'' ]',
			bpnn_predict(model, ARRAY[5.1, 3.5, 1.4, 0.2]), bpnn_predict(model, ARRAY[6.7, 3.0, 5.2, 2.3]))
			FROM onnx_models WHERE name = 'iris_bipolar_sigmoid'});
		my $modules = getcwd() . '/test/onnx/node_modules';
		my ($out, $err) = ('', '');
		my $ran = IPC::Run::run([ 'node', 'snippet.js' ], '<', \undef, '>', \$out, '2>', \$err,
			init => sub { chdir "$work/snippet" or die "chdir: $!"; $ENV{NODE_PATH} = $modules; });
		my ($first) = split /\n/, $out;
		ok($ran && defined $first && $first eq $expected,
			"docs/onnx.md's JavaScript snippet runs and prints $expected")
		  or diag("$out$err");
	}
}

# names are written in UTF-8 whatever the database's encoding: a LATIN1
# database's class names, read back by python3-onnx
SKIP:
{
	skip 'class names of a LATIN1 database: python3-onnx is not installed (test/setup.sh installs it)', 1
	  unless $has_onnx;
	$node->safe_psql('postgres',
		"CREATE DATABASE ${db}_latin1 ENCODING 'LATIN1' TEMPLATE template0 LOCALE 'C'");
	local $ENV{PGCLIENTENCODING} = 'UTF8';
	my ($ret, $base64, $err) = $node->psql("${db}_latin1", <<'SQL');
CREATE EXTENSION bpnn;
SET client_min_messages = warning;
CREATE TABLE drinks AS SELECT i::float8 AS x, CASE WHEN i % 2 = 0 THEN 'café' ELSE 'thé' END AS label
FROM generate_series(1, 20) i;
SELECT encode(bpnn_onnx(bpnn_train('drinks', 'label', epochs => 1)), 'base64');
SQL
	write_file("$work/latin1.onnx", decode_base64($base64));
	my ($status, $classes, $err2) = run_against($node, [ $python, '-c', <<'PY', "$work/latin1.onnx" ]);
import json, sys, onnx
m = onnx.load(sys.argv[1])
meta = {p.key: p.value for p in m.metadata_props}
tensor = [t for t in m.graph.initializer if t.name == "classes"][0]
print(json.loads(meta["bpnn.classes"]), [s.decode("utf-8") for s in tensor.string_data])
PY
	chomp $classes;
	utf8::decode($classes);
	is($ret == 0 && $status == 0 ? $classes : "$err$err2",
		"['caf\x{e9}', 'th\x{e9}'] ['caf\x{e9}', 'th\x{e9}']",
		"a LATIN1 database's class names are UTF-8 in the file's metadata and label tensor");
}

$node->stop;
done_testing();
