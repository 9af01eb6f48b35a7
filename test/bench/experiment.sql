-- The experiment of Jiang 2020 in SQL (run by test/bench/experiment.sh): 10-fold
-- cross-validation, on the same stratified folds (NAME_cv.fold of
-- test/load_data.sql) for every configuration, of bpnn_train settings named
-- in the table configs.  Writes one row per (data set, configuration, fold)
-- into experiment_results.
\set ON_ERROR_STOP on
CREATE EXTENSION bpnn;
\o /dev/null
\i test/load_data.sql
\copy csv_lines(line) FROM 'test/data/letter.csv'
SELECT pg_temp.load_csv('letter');
\copy csv_lines(line) FROM 'test/data/sonar.csv'
SELECT pg_temp.load_csv('sonar');
\copy csv_lines(line) FROM 'test/data/ionosphere.csv'
SELECT pg_temp.load_csv('ionosphere');
\o

CREATE TABLE configs (config text PRIMARY KEY, settings jsonb);
INSERT INTO configs VALUES
	('a_online',      '{"normalization": "decimal", "batch_size": 1, "momentum": 0, "learning_rate": 0.1, "hidden": [32], "epochs": 200}'),
	('b_research',    '{"normalization": "decimal", "batch_size": 0, "momentum": 0.7, "learning_rate": 0.1, "hidden": [32], "epochs": 200}'),
	('c_research_raw','{"normalization": "none", "batch_size": 0, "momentum": 0.7, "learning_rate": 0.1, "hidden": [32], "epochs": 200}'),
	('d_defaults',    '{}'),
	('e_modern',      :'modern');

CREATE TABLE experiment_results (name text, config text, fold int, accuracy float8, seconds float8);

CREATE FUNCTION pg_temp.run(name text, config text, settings jsonb) RETURNS void
LANGUAGE plpgsql SET client_min_messages = warning AS $$
DECLARE
	feats text[];
	m bpnn_model;
	t0 timestamptz;
	secs float8;
	k int;
BEGIN
	SELECT array_agg(attname::text ORDER BY attnum) INTO feats FROM pg_attribute
	WHERE attrelid = name::regclass AND attnum > 0 AND NOT attisdropped AND attname <> 'label';
	FOR k IN 0..9 LOOP
		EXECUTE format('DROP VIEW IF EXISTS fold_train, fold_test; '
					   'CREATE TEMP VIEW fold_train AS SELECT * FROM %1$I WHERE fold <> %2$s; '
					   'CREATE TEMP VIEW fold_test AS SELECT * FROM %1$I WHERE fold = %2$s', name || '_cv', k);
		t0 := clock_timestamp();
		BEGIN
			EXECUTE format('SELECT bpnn_train(''fold_train'', ''label'', features => $1%s)',
						   (SELECT coalesce(string_agg(format(', %I => %L', key,
									CASE jsonb_typeof(value) WHEN 'array' THEN translate(value::text, '[]', '{}')
										 ELSE value #>> '{}' END), ''), '')
							FROM jsonb_each(settings)))
				INTO m USING feats;
			secs := extract(epoch FROM clock_timestamp() - t0);
			INSERT INTO experiment_results
			VALUES (name, config, k, (bpnn_evaluate(m, 'fold_test', 'label')->>'accuracy')::float8, secs);
		EXCEPTION WHEN numeric_value_out_of_range THEN
			-- training diverged: recorded as a failed fold
			INSERT INTO experiment_results VALUES (name, config, k, NULL, NULL);
		END;
	END LOOP;
END
$$;

-- the folds of a data set, in file order (for scikit-learn)
CREATE FUNCTION pg_temp.folds(name text) RETURNS SETOF int LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format('SELECT fold FROM %I ORDER BY n', name || '_cv');
END
$$;

SELECT count(*) FROM (
	SELECT pg_temp.run(d, c.config, c.settings)
	FROM unnest(string_to_array(:'datasets', ' ')) d, configs c
	ORDER BY d, c.config) s;
\o :out_results
COPY experiment_results TO STDOUT (FORMAT csv, HEADER);
\o :out_folds
COPY (SELECT d AS name, fold FROM unnest(string_to_array(:'datasets', ' ')) d,
      LATERAL pg_temp.folds(d) AS f(fold)) TO STDOUT (FORMAT csv, HEADER);
\o
