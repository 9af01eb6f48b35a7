#!/usr/bin/env bash
# Should validation-based early stopping be bpnn_train's default?  Stratified
# 10-fold cross-validation (bpnn_cross_validate, the same seeded folds for
# both) of the defaults (200 epochs, no validation) against the defaults
# with validation_fraction 0.1 (patience 10: the weights of the best
# validation epoch are kept), on every shipped classification data set,
# with the fraction of the majority class beside (what always answering it
# scores); shuttle (58,000 rows) is left out for time.  Prints one line per data set and the mean over them, with the
# machine.  Runs in a throwaway cluster on the installed bpnn:
#   bash test/bench/early-stopping.sh            # PG_BINDIR=... for another PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/bench/lib.bash
bench_machine
bench_cluster_start "${PG_BINDIR:-/usr/lib/postgresql/15/bin}" "${BENCH_PORT:-55491}" \
	-c max_parallel_maintenance_workers=2
sql > /dev/null <<'SQL'
CREATE EXTENSION bpnn;
\i test/load_data.sql
\copy csv_lines(line) FROM 'test/data/letter.csv'
SELECT pg_temp.load_csv('letter');
\copy csv_lines(line) FROM 'test/data/sonar.csv'
SELECT pg_temp.load_csv('sonar');
\copy csv_lines(line) FROM 'test/data/ionosphere.csv'
SELECT pg_temp.load_csv('ionosphere');

\i test/fixtures/credit.sql
SQL
sql -At -F ' ' <<'SQL'
SET client_min_messages = warning;
CREATE TEMP TABLE results (data text, variant text, accuracy float8, majority float8);
DO $$
DECLARE
	d text;
	v record;
	maj float8;
BEGIN
	FOREACH d IN ARRAY ARRAY['iris', 'wine', 'breast_cancer', 'digits', 'pima', 'glass', 'sonar',
	                         'ionosphere', 'credit', 'letter'] LOOP
		EXECUTE format('SELECT max(n)::float8 / sum(n) FROM (SELECT count(*) AS n FROM %I GROUP BY label) s', d)
			INTO maj;
		FOR v IN SELECT * FROM (VALUES ('defaults', 0.0), ('validation 0.1', 0.1)) x(name, fraction) LOOP
			INSERT INTO results
			SELECT d, v.name, avg(accuracy), maj
			FROM bpnn_cross_validate(d::regclass, 'label', missing => 'impute',
			                         validation_fraction => v.fraction);
		END LOOP;
	END LOOP;
END
$$;
SELECT format('%s: majority %s, defaults %s, validation 0.1 %s, difference %s',
              a.data, round(a.majority::numeric, 4), round(a.accuracy::numeric, 4),
              round(b.accuracy::numeric, 4), round((b.accuracy - a.accuracy)::numeric, 4))
FROM results a JOIN results b USING (data)
WHERE a.variant = 'defaults' AND b.variant = 'validation 0.1'
ORDER BY a.data;
SELECT format('mean over %s data sets: defaults %s, validation 0.1 %s', count(*) / 2,
              round(avg(accuracy) FILTER (WHERE variant = 'defaults')::numeric, 4),
              round(avg(accuracy) FILTER (WHERE variant = 'validation 0.1')::numeric, 4))
FROM results;
SQL
bench_machine_end
