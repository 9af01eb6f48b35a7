#!/usr/bin/env bash
# bpnn on a real Citus cluster: a throwaway coordinator and 2 workers
# (test/citus/cluster.bash), a distributed copy of the letter data (4
# shards) beside a local copy of the same rows.  Shows that CREATE
# EXTENSION bpnn reaches the workers; that bpnn_gradient and
# bpnn_train_epoch run pushed down (worker_partial_agg per shard) and equal
# the same aggregate on the local copy to float tolerance; that streaming
# bpnn_train sends its per-epoch aggregate to the workers and learns (a
# classifier, a regressor and a regressor of two outputs, whose gradient
# also equals the local copy's); that
# bpnn_predict runs on the workers; that bpnn_evaluate, bpnn_confusion,
# bpnn_cross_validate and bpnn_fit ... GROUP BY work on the distributed
# table; and that a worker stopped mid-training gives a clean error and
# leaves nothing half-written.  Prints one "skipped:" line where Citus is
# not installed for $PG_CONFIG (default: the system PostgreSQL 15; build
# Citus with test/citus/build-citus.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/citus/cluster.bash
if ! citus_available; then
	echo "skipped: citus.so (or bpnn) is not installed for $("$PG_CONFIG" --version) at $("$PG_CONFIG" --pkglibdir); build it with test/citus/build-citus.sh"
	exit 0
fi
trap citus_cluster_stop EXIT
citus_cluster_start
out=$citus_dir/out
ok() { echo "ok: $*"; }
failed() { echo "FAILED: $*"; }
# check NAME SQL: the query prints t (ok) or anything else (FAILED, shown)
check() {
	local name=$1 got
	got=$(coord -At -c "$2" 2>&1 || true)
	if [ "$got" = t ]; then ok "$name"; else failed "$name: $got"; fi
}
# pushed_down NAME QUERY: the aggregate in QUERY is planned as
# worker_partial_agg on each shard and coord_combine_agg on the coordinator
pushed_down() {
	local plan
	plan=$(coord -At -c "EXPLAIN (VERBOSE, COSTS OFF) $2" 2>&1 || true)
	if grep -q worker_partial_agg <<<"$plan" && grep -q coord_combine_agg <<<"$plan"; then
		ok "$1 is planned as worker_partial_agg on each shard and coord_combine_agg on the coordinator"
	else failed "$1 is not pushed down: $plan"; fi
}

cols=$(head -1 test/data/letter.csv | tr ',' '\n' | sed '$d' | paste -sd,)
feats="ARRAY[$cols]::float8[]"
coord <<SQL
CREATE EXTENSION bpnn;
CREATE TABLE letter_csv ($(echo "$cols" | sed 's/,/ float8,/g') float8, label text);
\copy letter_csv FROM 'test/data/letter.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE letters_local AS SELECT row_number() OVER () AS id, * FROM letter_csv;
CREATE TABLE letters (LIKE letters_local);
SET citus.shard_count = 4;
SELECT create_distributed_table('letters', 'id');
INSERT INTO letters SELECT * FROM letters_local ORDER BY id;
-- the starting model of the aggregate checks: 1 epoch in memory
CREATE TABLE start_model AS SELECT bpnn_train('letters_local', 'label', features => '{$cols}', epochs => 1) AS m;
SQL

# 1. CREATE EXTENSION bpnn reached the workers
for w in 1 2; do
	v=$(worker "$w" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'bpnn'")
	if [ -n "$v" ]; then ok "CREATE EXTENSION bpnn on the coordinator reached worker $w (version $v)"
	else failed "bpnn is not installed on worker $w"; fi
done

# 2. bpnn_gradient pushed down, equal to the local copy's
pushed_down "bpnn_gradient" "SELECT bpnn_gradient(m, $feats, label::text) FROM letters, start_model"
# (the state sums float4 chunk sums of 128 rows in float8: shards cut the
# chunks elsewhere, so sums agree to about 1e-7 relative, 1e-5 is checked)
check "bpnn_gradient on the distributed table equals it on the local copy (rows and accuracy exact; loss and gradient to 1e-5 relative)" "
WITH d AS (SELECT bpnn_gradient(m, $feats, label::text) g FROM letters, start_model),
     l AS (SELECT bpnn_gradient(m, $feats, label::text) g FROM letters_local, start_model)
SELECT (bpnn_state_info(d.g)->>'rows') = (bpnn_state_info(l.g)->>'rows')
   AND (bpnn_state_info(d.g)->>'rows')::int = 20000
   AND abs((bpnn_state_info(d.g)->>'loss')::float8 - (bpnn_state_info(l.g)->>'loss')::float8)
       <= 1e-5 * (bpnn_state_info(l.g)->>'loss')::float8
   AND (bpnn_state_info(d.g)->>'accuracy') = (bpnn_state_info(l.g)->>'accuracy')
   AND (SELECT max(abs(a - b)) <= 1e-5 * max(abs(b))
        FROM unnest(bpnn_state_gradient(d.g), bpnn_state_gradient(l.g)) u(a, b))
FROM d, l"

# 3. bpnn_train_epoch pushed down.  One batch per partial and no momentum:
#    each shard takes one step of its own mean gradient; averaged by rows,
#    that is one full-batch step on all rows, whatever the partition, so it
#    equals the serial aggregate on the local copy up to float rounding.
epoch_args="label::text, 0.5, 0, 20000, 'momentum', 0, 7, 20000"
pushed_down "bpnn_train_epoch" "SELECT bpnn_train_epoch(m, $feats, $epoch_args) FROM letters, start_model"
check "bpnn_train_epoch (one full batch per shard) on the distributed table equals it on the local copy: probabilities of 200 rows within 1e-4" "
WITH d AS (SELECT bpnn_train_epoch(m, $feats, $epoch_args) AS m FROM letters, start_model),
     l AS (SELECT bpnn_train_epoch(m, $feats, $epoch_args) AS m FROM letters_local, start_model)
SELECT max(abs(a - b)) < 1e-4 AND bool_and(d.m::text <> s.m::text)
FROM d, l, start_model s, letters_local r,
     unnest(bpnn_predict_proba(d.m, ARRAY[r.$(echo "$cols" | sed 's/,/, r./g')]::float8[]),
            bpnn_predict_proba(l.m, ARRAY[r.$(echo "$cols" | sed 's/,/, r./g')]::float8[])) u(a, b)
WHERE r.id <= 200"
check "bpnn_train_epoch with mini-batches on the shards learns: the averaged model's accuracy beats the starting model's by a point" "
WITH d AS (SELECT bpnn_train_epoch(m, $feats, label::text, 0.2, 0.7, 32, 'momentum', 0, 1, 4096) AS m FROM letters, start_model)
SELECT (bpnn_evaluate(d.m, 'letters_local', 'label')->>'accuracy')::float8
     > (bpnn_evaluate(s.m, 'letters_local', 'label')->>'accuracy')::float8 + 0.01
FROM d, start_model s"

# 4. streaming bpnn_train of the distributed table: its epochs on the workers
# streamed WHAT TABLE CALL: CREATE TABLE TABLE AS SELECT CALL AS m, past
# bpnn.memory_limit, sends at least 5 epochs to the shards
streamed() {
	local sent
	coord -c "SET bpnn.memory_limit = '512kB'" -c "SET citus.log_remote_commands = on" \
		-c "CREATE TABLE $2 AS SELECT $3 AS m" > "$out" 2>&1 || true
	sent=$(grep -c 'issuing SELECT .*worker_partial_agg(.*bpnn_train_epoch' "$out" || true)
	if grep -q 'training by streaming' "$out" && [ "$sent" -ge 5 ]; then
		ok "$1 sends each epoch's bpnn_train_epoch to the shards as worker_partial_agg ($sent shard queries logged)"
	else failed "$1 did not push its epochs down: $(grep -v 'issuing' "$out" | head -5)"; fi
}
streamed "streaming bpnn_train" streamed "bpnn_train('letters', 'label', features => '{$cols}', epochs => 5)"
check "streaming bpnn_train of the distributed table learns (5 epochs: accuracy above 0.5 on the local copy)" "
SELECT (bpnn_evaluate(m, 'letters_local', 'label')->>'accuracy')::float8 > 0.5 FROM streamed"
# a regressor (width from the other 15 columns), the label as float8's text
regcols=$(echo "$cols" | tr ',' '\n' | grep -vx width | paste -sd,)
regcols2=$(echo "$cols" | tr ',' '\n' | grep -vx 'width\|high' | paste -sd,)
streamed "streaming regression" streamed_reg \
	"bpnn_train('letters', 'width', features => '{$regcols}', task => 'regression', epochs => 5)"
check "streaming regression of the distributed table learns (5 epochs: R² above 0.5 on the local copy)" "
SELECT (bpnn_evaluate(m, 'letters_local', 'width')->>'r2')::float8 > 0.5 FROM streamed_reg"
# a regressor of two outputs: a float8[] label (width and height), read by
# the aggregates as float8[]'s text
coord <<SQL > /dev/null
ALTER TABLE letters ADD COLUMN size float8[];
UPDATE letters SET size = ARRAY[width, high];
ALTER TABLE letters_local ADD COLUMN size float8[];
UPDATE letters_local SET size = ARRAY[width, high];
CREATE TABLE start_reg2 AS
SELECT bpnn_train('letters_local', 'size', features => '{$regcols2}', task => 'regression', epochs => 1) AS m;
SQL
regfeats2="ARRAY[$regcols2]::float8[]"
pushed_down "bpnn_gradient of a two-output regressor" "SELECT bpnn_gradient(m, $regfeats2, size::text) FROM letters, start_reg2"
check "bpnn_gradient of a two-output regressor on the distributed table equals it on the local copy (rows exact; loss and gradient to 1e-5 relative)" "
WITH d AS (SELECT bpnn_gradient(m, $regfeats2, size::text) g FROM letters, start_reg2),
     l AS (SELECT bpnn_gradient(m, $regfeats2, size::text) g FROM letters_local, start_reg2)
SELECT (bpnn_state_info(d.g)->>'rows')::int = 20000 AND (bpnn_state_info(l.g)->>'rows')::int = 20000
   AND abs((bpnn_state_info(d.g)->>'loss')::float8 - (bpnn_state_info(l.g)->>'loss')::float8)
       <= 1e-5 * (bpnn_state_info(l.g)->>'loss')::float8
   AND (SELECT max(abs(a - b)) <= 1e-5 * max(abs(b))
        FROM unnest(bpnn_state_gradient(d.g), bpnn_state_gradient(l.g)) u(a, b))
FROM d, l"
streamed "streaming regression of two outputs" streamed_reg2 \
	"bpnn_train('letters', 'size', features => '{$regcols2}', task => 'regression', epochs => 5)"
check "streaming regression of two outputs on the distributed table learns (5 epochs: R² of each above 0.5 on the local copy)" "
SELECT bool_and((o->>'r2')::float8 > 0.5) AND count(*) = 2
FROM streamed_reg2, jsonb_array_elements(bpnn_evaluate(m, 'letters_local', 'size')->'outputs') o"

# 5. bpnn_predict runs on the workers
coord -c "SET citus.log_remote_commands = on" \
	-c "SELECT count(*) FROM letters, start_model WHERE bpnn_predict(m, $feats) = label" > "$out" 2>&1 || true
if grep -q 'issuing SELECT .*bpnn_predict' "$out"; then
	ok "bpnn_predict runs on the workers (the shard queries call it)"
else failed "bpnn_predict did not run on the workers: $(head -5 "$out")"; fi

# 6. evaluation functions on the distributed table
check "bpnn_evaluate on the distributed table equals it on the local copy (the loss, a sum in another order, to 1e-9 relative)" "
WITH e AS (SELECT bpnn_evaluate(m, 'letters', 'label') d, bpnn_evaluate(m, 'letters_local', 'label') l FROM start_model)
SELECT d - 'loss' = l - 'loss' AND abs((d->>'loss')::float8 - (l->>'loss')::float8) <= 1e-9 * (l->>'loss')::float8
FROM e"
check "bpnn_confusion on the distributed table equals it on the local copy" "
SELECT (SELECT array_agg(c ORDER BY c::text) FROM bpnn_confusion(m, 'letters', 'label') c)
     = (SELECT array_agg(c ORDER BY c::text) FROM bpnn_confusion(m, 'letters_local', 'label') c) FROM start_model"
check "bpnn_cross_validate runs on the distributed table (3 folds, 2 epochs: mean accuracy above 0.3)" "
SELECT avg(accuracy) > 0.3 AND sum(test_rows) = 20000
FROM bpnn_cross_validate('letters', 'label', folds => 3, features => '{$cols}', epochs => 2)"

# 7. bpnn_fit ... GROUP BY.  Its state is internal, which Citus does not
#    push down as a partial aggregate: grouped by a non-distribution column,
#    the shards send their rows and the coordinator trains; grouped by the
#    distribution column, each shard trains its own groups.  Either way the
#    models equal the local copy's bit for bit: bpnn_fit trains on its rows
#    in a canonical order, whatever order they arrive in.
bits="(m::text::jsonb - 'training') || jsonb_build_object('training', (m::text::jsonb->'training') - 'seconds')"
fit="bpnn_fit($feats, label::text, '{\"epochs\": 2, \"hidden\": [16]}')"
coord -c "SET citus.log_remote_commands = on" \
	-c "SELECT x_box < 4 AS grp, $fit IS NOT NULL FROM letters GROUP BY 1" > "$out" 2>&1 || true
if grep -q 'issuing SELECT' "$out" && ! grep -q 'issuing .*bpnn_fit(' "$out" && ! grep -q '^ERROR' "$out"; then
	ok "bpnn_fit ... GROUP BY a non-distribution column pulls the rows to the coordinator: $(grep -c 'issuing SELECT' "$out") shard queries, none calls bpnn_fit"
else failed "bpnn_fit ... GROUP BY a non-distribution column: $(grep -v 'DETAIL' "$out" | head -5)"; fi
check "bpnn_fit ... GROUP BY a non-distribution column: one model per group, bit for bit the local copy's" "
WITH d AS (SELECT x_box < 4 AS grp, count(*) AS n, $fit AS m FROM letters GROUP BY 1),
     l AS (SELECT x_box < 4 AS grp, $fit AS m FROM letters_local GROUP BY 1)
SELECT count(*) = 2 AND bool_and(bpnn_info(d.m)->'training'->>'rows_used' = d.n::text)
   AND bool_and((SELECT $bits FROM (SELECT d.m) s(m)) = (SELECT $bits FROM (SELECT l.m) s(m)))
FROM d JOIN l USING (grp)"
coord <<SQL > /dev/null 2>&1
CREATE TABLE letters_by_box AS SELECT * FROM letters_local;
SET citus.shard_count = 4;
SELECT create_distributed_table('letters_by_box', 'x_box');
SQL
coord -c "SET citus.log_remote_commands = on" \
	-c "SELECT x_box, $fit IS NOT NULL FROM letters_by_box GROUP BY 1" > "$out" 2>&1 || true
if grep -q 'issuing SELECT .*bpnn_fit(' "$out" && ! grep -q '^ERROR' "$out"; then
	ok "bpnn_fit ... GROUP BY the distribution column runs on the shards: $(grep -c 'issuing SELECT .*bpnn_fit(' "$out") shard queries call bpnn_fit"
else failed "bpnn_fit ... GROUP BY the distribution column did not run on the shards: $(grep -v 'DETAIL' "$out" | head -5)"; fi
# (x_box 14 and 15 have one class each: NULL models and a WARNING each)
got=$(coord -At -c "
WITH d AS (SELECT x_box, $fit AS m FROM letters_by_box GROUP BY 1),
     l AS (SELECT x_box, $fit AS m FROM letters_local GROUP BY 1)
SELECT count(*) = (SELECT count(DISTINCT x_box) FROM letters_local) AND count(d.m) = count(*) - 2
   AND bool_and((SELECT $bits FROM (SELECT d.m) s(m)) IS NOT DISTINCT FROM (SELECT $bits FROM (SELECT l.m) s(m)))
FROM d JOIN l USING (x_box)" 2>&1 || true)
if [ "$(tail -1 <<<"$got")" = t ] && [ "$(grep -c 'WARNING:  a bpnn_fit group of [23] rows (0 skipped) gets no model' <<<"$got")" = 4 ]; then
	ok "bpnn_fit ... GROUP BY the distribution column: bit for bit the local copy's models; the 2 groups of one class get NULL and a WARNING, on the shards as locally"
else failed "bpnn_fit ... GROUP BY the distribution column: $got"; fi

# 8. a worker stopped mid-training: a clean error, nothing half-written
coord -c "CREATE TABLE trained (m bpnn_model)"
coord -c "SET bpnn.memory_limit = '512kB'" \
	-c "INSERT INTO trained SELECT bpnn_train('letters', 'label', features => '{$cols}', epochs => 100000)" > "$out" 2>&1 &
client=$!
sleep 3
as_postgres "$citus_bin/pg_ctl" -D "$citus_dir/n2" -m immediate stop >/dev/null 2>&1
status=0
wait "$client" || status=$?
left=$(coord -At -c "SELECT (SELECT count(*) FROM trained) || ',' || (SELECT count(*) FROM pg_prepared_xacts)" 2>&1 || true)
if [ "$status" -ne 0 ] && grep -q '^ERROR: ' "$out" && ! grep -qi 'terminated abnormally\|server closed the connection' "$out" &&
	[ "$left" = "0,0" ]; then
	ok "a worker stopped mid-training gives a clean error ($(grep -m1 '^ERROR: ' "$out" | cut -c1-90)), and the coordinator holds no row and no prepared transaction"
else failed "stopping a worker mid-training: exit $status, rows/prepared '$left', output: $(head -5 "$out")"; fi
