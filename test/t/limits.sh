#!/usr/bin/env bash
# Timeouts, cancels, memory and binary COPY: statement_timeout stops
# training (in memory and streaming), cross-validation and a big scoring
# query within a second of the timeout; pg_cancel_backend stops a
# 50-million-row scoring query within a second; scoring ten million rows
# takes no more backend memory than one million; COPY ... (FORMAT binary) round-trips a table of models and
# rejects a corrupted one.  Run under pg_virtualenv (test/run-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/t/lib.bash
test_database bpnn_limits
psql -X -q -v ON_ERROR_STOP=1 -d bpnn_limits <<'SQL'
CREATE TABLE models (id int PRIMARY KEY, m bpnn_model);
INSERT INTO models VALUES
	(1, bpnn_train('flowers', 'kind', epochs => 5)),
	(2, bpnn_train('flowers', 'kind', hidden => '{3}', epochs => 5, loss => 'cross_entropy',
	               optimizer => 'adam', activation => 'relu')),
	(3, bpnn_train('flowers', 'kind', hidden => '{300, 2}', epochs => 1, missing => 'impute',
	               normalization => 'decimal', batch_size => 0)),
	(4, NULL);
SQL

# one row after another through the stored model (default layout: 64 hidden units)
score() {
	echo "SELECT count(bpnn_predict((SELECT m FROM models WHERE id = 1), ARRAY[g * 1e-6, 3.5, 1.4, 0.2]))
	      FROM (SELECT generate_series(1, $1) g) s"
}

# (a) statement_timeout: the statement ends within a second of the timeout
timeout_ms=1000
psql -X -q -d bpnn_limits -c "CREATE TABLE many_flowers AS SELECT f.* FROM flowers f, generate_series(1, 2000)"
# two text columns of about 1,000 values each: rows 2,000 one-hot inputs wide
psql -X -q -d bpnn_limits -c "CREATE TABLE wide_categories AS SELECT (g % 2)::text AS label, (g % 1000)::text AS c1,
	(g % 999)::text AS c2 FROM generate_series(1, 100000) g"
for what in "SELECT bpnn_train('flowers', 'kind', epochs => 1000000)" \
            "SELECT bpnn_train('wide_categories', 'label', epochs => 1, batch_size => 0)" \
            "SELECT count(*) FROM bpnn_cross_validate('flowers', 'kind', epochs => 1000000)" \
            "SET bpnn.memory_limit = '1MB'; SELECT bpnn_train('many_flowers', 'kind', epochs => 1000000)" \
            "$(score 50000000)"; do
	start=$(date +%s%N)
	psql -X -q -d bpnn_limits -c "SET statement_timeout = $timeout_ms" -c "$what" > "$work/out" 2>&1 || true
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if grep -q "canceling statement due to statement timeout" "$work/out" && [ "$ms" -lt $(( timeout_ms + 1000 )) ]; then
		echo "ok: statement_timeout of $timeout_ms ms stopped '${what:7:40}...' after $ms ms"
	else
		echo "FAILED: statement_timeout of $timeout_ms ms on '$what': $ms ms, $(cat "$work/out")"
	fi
done

# (b) pg_cancel_backend of a big scoring query
cancel_within_a_second bpnn_limits "$(score 50000000)"

# (c) memory: the backend's peak resident size (VmHWM) and its memory
# contexts after scoring 1M and 10M rows (float8[]), 250k and 1M (jsonb);
# a leak of even one palloc chunk (24 bytes) per row would show as megabytes
psql -X -Atq -v ON_ERROR_STOP=1 -d bpnn_limits > "$work/memory" 2>&1 <<SQL || true
SET jit = off;
CREATE FUNCTION pg_temp.memory() RETURNS text LANGUAGE sql AS \$\$
	SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+) kB'))[1] || ' ' ||
	       (SELECT sum(total_bytes)::bigint / 1024 FROM pg_backend_memory_contexts) \$\$;
$(score 1000000);
SELECT 'float8[] 1000000 ' || pg_temp.memory();
$(score 10000000);
SELECT 'float8[] 10000000 ' || pg_temp.memory();
SELECT count(bpnn_predict_proba((SELECT m FROM models WHERE id = 2), to_jsonb(f)))
FROM (SELECT g * 1e-6 AS a, 3.5 AS b, 1.4 AS c, 0.2 AS d FROM generate_series(1, 250000) g) f;
SELECT 'jsonb 250000 ' || pg_temp.memory();
SELECT count(bpnn_predict_proba((SELECT m FROM models WHERE id = 2), to_jsonb(f)))
FROM (SELECT g * 1e-6 AS a, 3.5 AS b, 1.4 AS c, 0.2 AS d FROM generate_series(1, 1000000) g) f;
SELECT 'jsonb 1000000 ' || pg_temp.memory();
SQL
for form in 'float8[]' jsonb; do
	# rows, peak kB, contexts kB: first the small run, then the big one
	read -r _ rows1 hwm1 ctx1 < <(awk -v f="$form" '$1 == f' "$work/memory" | head -1) || true
	read -r _ rows2 hwm2 ctx2 < <(awk -v f="$form" '$1 == f' "$work/memory" | tail -1) || true
	if [[ "${rows1:-}${hwm1:-}${ctx1:-}${rows2:-}${hwm2:-}${ctx2:-}" =~ ^[0-9]+$ ]] && [ "$rows2" -gt "$rows1" ] && [ $(( hwm2 - hwm1 )) -lt 4096 ] &&
		[ $(( ctx2 - ctx1 )) -lt 256 ]; then
		echo "ok: scoring $rows2 rows ($form) after $rows1: peak memory $hwm1 -> $hwm2 kB, memory contexts $ctx1 -> $ctx2 kB"
	else
		echo "FAILED: backend memory while scoring ($form): $(cat "$work/memory")"
	fi
done

# (d) binary COPY: out and back in, the same models; a corrupted file is refused
psql -X -Atq -v ON_ERROR_STOP=1 -d bpnn_limits > "$work/copy" 2>&1 <<SQL || true
\copy models TO '$work/models.bin' WITH (FORMAT binary)
CREATE TABLE models_back (LIKE models);
\copy models_back FROM '$work/models.bin' WITH (FORMAT binary)
SELECT count(*) || ' models, identical: ' ||
       bool_and(a.m::text IS NOT DISTINCT FROM b.m::text AND
                bpnn_model_send(a.m) IS NOT DISTINCT FROM bpnn_model_send(b.m))
FROM models a JOIN models_back b USING (id);
SQL
if grep -qx '4 models, identical: true' "$work/copy"; then
	echo "ok: COPY (FORMAT binary) out and back in gives the same 4 models (one NULL), text and bytes"
else
	echo "FAILED: binary COPY round trip: $(cat "$work/copy")"
fi
# one byte inside the first model's body changed: its checksum no longer matches
offset=$(grep -obUa 'BPNN' "$work/models.bin" | head -1 | cut -d: -f1)
printf '\x5a' | dd of="$work/models.bin" bs=1 seek=$(( offset + 100 )) conv=notrunc status=none
psql -X -q -d bpnn_limits -v VERBOSITY=verbose > "$work/copy" 2>&1 <<SQL || true
CREATE TABLE models_bad (LIKE models);
\copy models_bad FROM '$work/models.bin' WITH (FORMAT binary)
SQL
if grep -q 'ERROR:  22P03: invalid bpnn_model value' "$work/copy" &&
	grep -q 'checksum does not match' "$work/copy"; then
	echo "ok: binary COPY of a model with one byte changed fails: invalid binary representation, checksum"
else
	echo "FAILED: a corrupted binary COPY: $(cat "$work/copy")"
fi
