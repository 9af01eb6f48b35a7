#!/usr/bin/env bash
# Eight pgbench clients score rows with a model stored in a table while
# another session retrains and replaces that model, with a different hidden
# layer each time: no errors, and every prediction has the model's shape.
# Run under pg_virtualenv (test/run-tests.sh); bounded to a few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/t/lib.bash
test_database bpnn_concurrency
psql -X -q -v ON_ERROR_STOP=1 -d bpnn_concurrency <<'SQL'
CREATE TABLE models (name text PRIMARY KEY, model bpnn_model);
INSERT INTO models VALUES ('current', bpnn_train('flowers', 'kind', epochs => 20));
SQL
# every row must get a class and three probabilities summing to 1, or the
# transaction fails (division by zero), which pgbench counts as an error
cat > "$work/score.sql" <<'SQL'
SELECT 1 / (count(*) FILTER (WHERE bpnn_predict(m.model, ARRAY[a, b, c, d]) IS NOT NULL
                              AND array_length(p, 1) = 3
                              AND abs((SELECT sum(x) FROM unnest(p) x) - 1) < 1e-9) / 150)
FROM flowers, models m, LATERAL (SELECT bpnn_predict_proba(m.model, ARRAY[a, b, c, d]) AS p) s
WHERE m.name = 'current';
SQL
(
	i=0
	end=$((SECONDS + 6))
	while [ $SECONDS -lt $end ]; do
		i=$((i + 1))
		psql -X -q -d bpnn_concurrency -c "UPDATE models SET model = bpnn_train('flowers', 'kind', hidden => ARRAY[2 + $i % 9], epochs => 10, seed => $i) WHERE name = 'current'" || echo "retrain $i failed"
	done
	echo "$i" > "$work/retrains"
) > "$work/retrain.log" 2>&1 &
retrainer=$!
set +e
pgbench -n -c 8 -j 2 -T 6 -f "$work/score.sql" bpnn_concurrency > "$work/pgbench.log" 2>&1
status=$?
set -e
wait "$retrainer"
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/pgbench.log")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/pgbench.log")
if [ "$status" -eq 0 ] && [ "${processed:-0}" -gt 0 ] && [ "${failed:-0}" -eq 0 ] && ! grep -q failed "$work/retrain.log"; then
	echo "ok: 8 clients scored $processed times while the model was retrained $(cat "$work/retrains") times, no errors"
else
	echo "FAILED: concurrent scoring and retraining (pgbench exit $status)"
	cat "$work/pgbench.log" "$work/retrain.log"
fi
