#!/usr/bin/env bash
# Models stored in tables survive an immediate shutdown (crash recovery
# replays them from WAL): run under pg_virtualenv (test/run-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/t/lib.bash
test_database bpnn_restart
psql -X -q -v ON_ERROR_STOP=1 -d bpnn_restart <<'SQL'
CREATE TABLE models AS SELECT g AS id, bpnn_train('flowers', 'kind', hidden => ARRAY[4 + g], epochs => 20, seed => g) AS model
FROM generate_series(1, 5) g;
SQL
q="SELECT string_agg(md5(model::text), ',' ORDER BY id) FROM models"
before=$(psql -X -Atq -d bpnn_restart -c "$q")
pg_ctlcluster "$PGVERSION" regress stop -m immediate
pg_ctlcluster "$PGVERSION" regress start
after=$(psql -X -Atq -d bpnn_restart -c "$q")
if [ -n "$before" ] && [ "$before" = "$after" ]; then
	echo "ok: models survive an immediate shutdown and restart"
else
	echo "FAILED: models changed across an immediate shutdown ('$before' against '$after')"
fi
