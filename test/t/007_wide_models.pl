# Very wide models: validating one is fast and can be cancelled.  Models of
# 40,000 and 100,000 source columns and of 100,000 classes (valid, written
# as their JSON text with SQL string functions) are read as bpnn_model, and
# used by bpnn_predict, in at most 3 times the server's own jsonb parse of
# the same text plus a second (comparing every pair of names took 4.6 s for
# 40,000 columns, and 17 s per query for 100,000 classes); a 1 s
# statement_timeout stops a statement that validates them row after row
# within a second of the timeout plus one such parse (PostgreSQL's JSON
# parser does not check for interrupts).  Bounds measured against that
# parse, in the same run, hold on a loaded machine.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $node = bpnn_node('wide_models');
my $db = bpnn_database($node, 'bpnn_wide');
$node->safe_psql($db, <<'SQL');
-- a valid model's text form: n number columns, k classes, one weight layer
CREATE FUNCTION wide_model_text(n int, k int) RETURNS text LANGUAGE sql AS $f$
SELECT format('{"format_version": 1, "layers": [%s, %s], "activation": "bipolar_sigmoid", '
  '"output_activation": "bipolar_sigmoid", "loss": "squared_error", "features": [%s], "classes": [%s], '
  '"columns": [%s], "missing": "skip", "impute": [%s], '
  '"normalization": {"method": "zscore", "shift": [%s], "scale": [%s]}, '
  '"training": {"source": "public.t", "label_column": "kind", "epochs": 1, "learning_rate": 0.2, '
  '"momentum": 0.7, "batch_size": 32, "init_range": 0.1, "seed": 1, "optimizer": "momentum", '
  '"weight_decay": 0, "validation_fraction": 0, "patience": 10, "class_weights": [%s], '
  '"rows_used": 3, "validation_rows": 0, "rows_skipped": 0, "epochs_run": 1, "best_epoch": 0, '
  '"validation_loss": 0, "final_loss": 1, "train_accuracy": 1, "seconds": 0, "loss_per_epoch": [1]}, '
  '"weights": [[%s]]}',
  n, k,
  (SELECT string_agg(format('"c%s"', i), ', ') FROM generate_series(1, n) i),
  (SELECT string_agg(format('"k%s"', i), ', ') FROM generate_series(1, k) i),
  (SELECT string_agg(format('{"name": "c%s", "kind": "number", "width": 1}', i), ', ')
   FROM generate_series(1, n) i),
  repeat('0, ', n - 1) || '0', repeat('0, ', n - 1) || '0', repeat('1, ', n - 1) || '1',
  repeat('1, ', k - 1) || '1', repeat('0, ', (n + 1) * k - 1) || '0')
$f$;
CREATE TABLE texts (name text PRIMARY KEY, doc text);
INSERT INTO texts VALUES ('40000 columns', wide_model_text(40000, 2)),
                         ('100000 columns', wide_model_text(100000, 2)),
                         ('100000 classes', wide_model_text(1, 100000));
-- a stored model is decoded (and validated) once per query that reads it
CREATE TABLE classes_model AS SELECT doc::bpnn_model AS m FROM texts WHERE name = '100000 classes';
SQL

# one statement under a statement_timeout, the library loaded first:
# (milliseconds, stdout, stderr)
sub timed
{
	my ($timeout, $sql) = @_;
	return timed_statement($node, $db,
		"SELECT bpnn_train('flowers', 'kind', epochs => 1) IS NOT NULL;\n"
		  . "SET statement_timeout = '$timeout';", $sql);
}

# The yardstick, measured here and now (so the bounds follow the machine's
# load): the server's own jsonb parse of the same text, which the input
# function does first.  Comparing every pair of names cost 6 to 30 times it.
sub jsonb_ms
{
	my ($name) = @_;
	my ($ms) = timed('60s', "SELECT (doc::jsonb) IS NOT NULL FROM texts WHERE name = '$name'");
	return $ms;
}

# (a) fast: reading the model costs at most 3 times parsing its text as jsonb, plus a second
my $jsonb_ms;
for my $name ('40000 columns', '100000 columns', '100000 classes')
{
	$jsonb_ms = jsonb_ms($name);
	my ($ms, $out, $err) = timed('60s', "SELECT (doc::bpnn_model) IS NOT NULL FROM texts WHERE name = '$name'");
	is($out, 't', "a model of $name is read as bpnn_model") or diag($err);
	cmp_ok($ms, '<', 3 * $jsonb_ms + 1000, "... in $ms ms (its text as jsonb: $jsonb_ms ms)");
}
# bpnn_predict decodes the stored model (no jsonb): the same bound
{
	my ($ms, $out, $err) = timed('60s', 'SELECT bpnn_predict(m, ARRAY[1.0]) FROM classes_model');
	is($out, 'k1', 'bpnn_predict with a stored model of 100000 classes') or diag($err);
	cmp_ok($ms, '<', 3 * $jsonb_ms + 1000, "... took $ms ms (its text as jsonb: $jsonb_ms ms)");
}

# (b) interruptible: a 1 s statement_timeout stops validation row after row
# within a second of the timeout plus one (uninterruptible) jsonb parse
for my $name ('40000 columns', '100000 columns')
{
	$jsonb_ms = jsonb_ms($name);
	my ($ms, $out, $err) = timed('1s',
		"SELECT count(doc::bpnn_model) FROM texts, generate_series(1, 1000) WHERE name = '$name'");
	like($err, qr/canceling statement due to statement timeout/,
		"statement_timeout of 1 s stopped validating models of $name");
	cmp_ok($ms, '<', 2000 + $jsonb_ms, "... after $ms ms (its text as jsonb: $jsonb_ms ms)");
}

$node->stop;
done_testing();
