-- Loads the UCI data sets in test/data into tables, for the regression
-- tests and the demo.  Run by psql from the repository root (paths are
-- relative to it).  For each data set NAME it creates
--   NAME_cv  the rows with a running number n and a stratified fold 0..9
--            (each class dealt round-robin in file order), for hold-out tests
--   NAME     a view of the features and the label only
-- Labels made only of digits become integer columns, others text.

CREATE TEMP TABLE csv_lines (n serial, line text);

CREATE FUNCTION pg_temp.load_csv(name text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	header text[];
	n_features int;
	int_label bool;
	cols text;
BEGIN
	SELECT string_to_array(replace(line, '"', ''), ',') INTO header
	FROM csv_lines ORDER BY n LIMIT 1;
	n_features := array_length(header, 1) - 1;
	SELECT bool_and(split_part(line, ',', n_features + 1) ~ '^[0-9]+$') INTO int_label
	FROM csv_lines WHERE n > (SELECT min(n) FROM csv_lines);
	SELECT string_agg(format('%I float8', h), ', ') INTO cols FROM unnest(header[1:n_features]) h;
	EXECUTE format('CREATE TABLE %I (n int, %s, label %s, fold int)',
				   name || '_cv', cols, CASE WHEN int_label THEN 'int' ELSE 'text' END);
	EXECUTE format(
		'INSERT INTO %I SELECT n, %s, f[%s]::%s, 0 FROM '
		'(SELECT n, string_to_array(replace(line, ''"'', ''''), '','') AS f FROM csv_lines '
		' WHERE n > (SELECT min(n) FROM csv_lines)) s ORDER BY n',
		name || '_cv',
		(SELECT string_agg(format('f[%s]::float8', i), ', ') FROM generate_series(1, n_features) i),
		n_features + 1, CASE WHEN int_label THEN 'int' ELSE 'text' END);
	-- stratified folds: each class dealt round-robin in file order
	EXECUTE format('UPDATE %1$I t SET fold = s.fold FROM '
				   '(SELECT n, (row_number() OVER (PARTITION BY label ORDER BY n) - 1) %% 10 AS fold FROM %1$I) s '
				   'WHERE t.n = s.n', name || '_cv');
	EXECUTE format('CREATE VIEW %I AS SELECT %s, label FROM %I', name,
				   (SELECT string_agg(format('%I', h), ', ') FROM unnest(header[1:n_features]) h),
				   name || '_cv');
	TRUNCATE csv_lines;
END
$$;

\copy csv_lines(line) FROM 'test/data/iris.csv'
SELECT pg_temp.load_csv('iris');
\copy csv_lines(line) FROM 'test/data/wine.csv'
SELECT pg_temp.load_csv('wine');
\copy csv_lines(line) FROM 'test/data/breast_cancer.csv'
SELECT pg_temp.load_csv('breast_cancer');
\copy csv_lines(line) FROM 'test/data/digits.csv'
SELECT pg_temp.load_csv('digits');
\copy csv_lines(line) FROM 'test/data/pima.csv'
SELECT pg_temp.load_csv('pima');
\copy csv_lines(line) FROM 'test/data/glass.csv'
SELECT pg_temp.load_csv('glass');

-- The regression data sets: numeric columns as they are, the target last
-- under its own name (concrete's a float8, diabetes's an integer)
CREATE TABLE concrete (cement float8, blast_furnace_slag float8, fly_ash float8, water float8,
	superplasticizer float8, coarse_aggregate float8, fine_aggregate float8, age float8,
	compressive_strength float8);
\copy concrete FROM 'test/data/concrete.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE diabetes (age float8, sex float8, bmi float8, bp float8, s1 float8, s2 float8,
	s3 float8, s4 float8, s5 float8, s6 float8, progression int);
\copy diabetes FROM 'test/data/diabetes.csv' WITH (FORMAT csv, HEADER true)
