# Timeouts, cancels, memory and binary COPY: statement_timeout stops
# training (in memory and streaming), cross-validation and a big scoring
# query within a second of the timeout; pg_cancel_backend stops a
# 50-million-row scoring query within a second; scoring ten million rows
# takes no more backend memory than one million; a bpnn_fit group whose
# rows fill bpnn.memory_limit peaks near that limit, not twice it;
# COPY ... (FORMAT binary) round-trips a table of models and rejects a
# corrupted one.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use BpnnTest;

my $node = bpnn_node('limits');
my $db = bpnn_database($node, 'bpnn_limits');
$node->safe_psql($db, <<'SQL');
CREATE TABLE models (id int PRIMARY KEY, m bpnn_model);
INSERT INTO models VALUES
	(1, bpnn_train('flowers', 'kind', epochs => 5)),
	(2, bpnn_train('flowers', 'kind', hidden => '{3}', epochs => 5, loss => 'cross_entropy',
	               optimizer => 'adam', activation => 'relu')),
	(3, bpnn_train('flowers', 'kind', hidden => '{300, 2}', epochs => 1, missing => 'impute',
	               normalization => 'decimal', batch_size => 0)),
	(4, NULL);
CREATE TABLE many_flowers AS SELECT f.* FROM flowers f, generate_series(1, 2000);
-- two text columns of about 1,000 values each: rows 2,000 one-hot inputs wide
CREATE TABLE wide_categories AS SELECT (g % 2)::text AS label, (g % 1000)::text AS c1,
	(g % 999)::text AS c2 FROM generate_series(1, 100000) g;
SQL

# one row after another through the stored model (default layout: 64 hidden units)
sub score
{
	my ($rows) = @_;
	return "SELECT count(bpnn_predict((SELECT m FROM models WHERE id = 1), ARRAY[g * 1e-6, 3.5, 1.4, 0.2])) "
	  . "FROM (SELECT generate_series(1, $rows) g) s";
}

# (a) statement_timeout: the statement ends within a second of the timeout
for my $sql (
	"SELECT bpnn_train('flowers', 'kind', epochs => 1000000)",
	"SELECT bpnn_train('wide_categories', 'label', epochs => 1, batch_size => 0)",
	"SELECT count(*) FROM bpnn_cross_validate('flowers', 'kind', epochs => 1000000)",
	"SET bpnn.memory_limit = '1MB'; SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000)",
	score(50_000_000))
{
	# the library loaded first, so that only the statement is timed
	my ($ms, $out, $err) = timed_statement($node, $db,
		"SELECT count(*) FROM models WHERE bpnn_info(m) IS NOT NULL;\nSET statement_timeout = 1000;",
		$sql);
	my $what = substr($sql, 0, 60);
	my $bound = late_bound_ms($node, $db);
	like($err, qr/canceling statement due to statement timeout/,
		"statement_timeout of 1000 ms stopped '$what...'");
	cmp_ok($ms, '<', 1000 + $bound, "... within a second of it ($ms ms; bound on this machine now: 1000 + $bound ms)");
}

# (b) pg_cancel_backend of a big scoring query
cancel_within_a_second($node, $db, score(50_000_000));

# (c) memory: the backend's peak resident size (VmHWM) and its memory
# contexts after scoring 1M and 10M rows (float8[]), 250k and 1M (jsonb);
# a leak of even one palloc chunk (24 bytes) per row would show as megabytes
my $jsonb = sub {
	my ($rows) = @_;
	return "SELECT count(bpnn_predict_proba((SELECT m FROM models WHERE id = 2), to_jsonb(f))) "
	  . "FROM (SELECT g * 1e-6 AS a, 3.5 AS b, 1.4 AS c, 0.2 AS d FROM generate_series(1, $rows) g) f";
};
my $memory = $node->safe_psql($db, join(";\n",
	'SET jit = off',
	q{CREATE FUNCTION pg_temp.memory() RETURNS text LANGUAGE sql AS $$
	SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+) kB'))[1] || ' ' ||
	       (SELECT sum(total_bytes)::bigint / 1024 FROM pg_backend_memory_contexts) $$},
	score(1_000_000), "SELECT 'float8[] 1000000 ' || pg_temp.memory()",
	score(10_000_000), "SELECT 'float8[] 10000000 ' || pg_temp.memory()",
	$jsonb->(250_000), "SELECT 'jsonb 250000 ' || pg_temp.memory()",
	$jsonb->(1_000_000), "SELECT 'jsonb 1000000 ' || pg_temp.memory()"));
for my $form ('float8[]', 'jsonb')
{
	my @runs = map { [ split / / ] } grep { /^\Q$form\E / } split /\n/, $memory;
	my ($small, $big) = ($runs[0], $runs[-1]);
	is(scalar(@runs), 2, "memory measured twice ($form)") or next;
	cmp_ok($big->[2] - $small->[2], '<', 4096,
		"scoring $big->[1] rows ($form) after $small->[1]: peak memory $small->[2] -> $big->[2] kB");
	cmp_ok($big->[3] - $small->[3], '<', 256,
		"... memory contexts $small->[3] -> $big->[3] kB");
}

# (e) bpnn_fit trains on its state in place (FINALFUNC_MODIFY = READ_WRITE):
# a group of 30,000 rows of 256 features (30 MB packed as float4, the
# limit being 32 MB) raises a fresh backend's peak resident size (VmHWM)
# by its rows and little more; a copy of the rows, as before 0.4.0, took
# twice as much (66 MB here against 37 MB)
my ($fitted, $grew, $rows_kb) = split / /, $node->safe_psql($db, <<'SQL');
SET jit = off;
SET max_parallel_workers_per_gather = 0;
SET bpnn.memory_limit = '32MB';
CREATE FUNCTION pg_temp.hwm() RETURNS bigint LANGUAGE sql AS $$
	SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+) kB'))[1]::bigint $$;
SELECT pg_temp.hwm() AS before \gset
SELECT count(*) AS fitted FROM (SELECT bpnn_fit(array_fill((i % 1009)::float8, ARRAY[256]), i % 3,
	'{"hidden": [2], "epochs": 1}') AS m FROM generate_series(1, 30000) i) s WHERE m IS NOT NULL \gset
SELECT :fitted || ' ' || (pg_temp.hwm() - :before) || ' ' || 30000 * (256 * 4 + 4) / 1024;
SQL
is($fitted, 1, 'bpnn_fit trained a group whose rows fill bpnn.memory_limit');
cmp_ok($grew, '>=', $rows_kb, "... of $rows_kb kB of rows: the backend's peak grew by $grew kB, the rows at least");
cmp_ok($grew, '<', 1.25 * 32 * 1024, '... and by less than 1.25 times bpnn.memory_limit (32 MB)');

# (d) binary COPY: out and back in, the same models; a corrupted file is refused
my $file = PostgreSQL::Test::Utils::tempdir() . '/models.bin';
is($node->safe_psql($db, <<SQL),
\\copy models TO '$file' WITH (FORMAT binary)
CREATE TABLE models_back (LIKE models);
\\copy models_back FROM '$file' WITH (FORMAT binary)
SELECT count(*) || ' models, identical: ' ||
       bool_and(a.m::text IS NOT DISTINCT FROM b.m::text AND
                bpnn_model_send(a.m) IS NOT DISTINCT FROM bpnn_model_send(b.m))
FROM models a JOIN models_back b USING (id);
SQL
	'4 models, identical: true',
	'COPY (FORMAT binary) out and back in gives the same 4 models (one NULL), text and bytes');
# one byte inside the first model's body changed: its checksum no longer matches
my $bytes = PostgreSQL::Test::Utils::slurp_file($file);
my $offset = index($bytes, 'BPNN');
cmp_ok($offset, '>', 0, 'the first model is in the file');
substr($bytes, $offset + 100, 1) = chr(0x5a) eq substr($bytes, $offset + 100, 1) ? chr(0x5b) : chr(0x5a);
open(my $fh, '>:raw', $file) or die "could not write $file: $!";
print $fh $bytes;
close($fh);
my ($ret, $out, $err) = $node->psql($db,
	"CREATE TABLE models_bad (LIKE models);\n\\copy models_bad FROM '$file' WITH (FORMAT binary)",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  22P03: invalid bpnn_model value/, 'binary COPY of a model with one byte changed fails: invalid binary representation');
like($err, qr/checksum does not match/, '... the checksum');

$node->stop;
done_testing();
