-- Loads the UCI data sets in test/data into tables, for the demo, the
-- README and the benchmarks.  Run by psql from the repository root (paths
-- are relative to it).  For each data set NAME it creates
--   NAME_cv  the rows with a running number n and a stratified fold 0..9
--            (each class dealt round-robin in file order), for hold-out tests
--   NAME     a view of the features and the label only
-- and leaves the loader behind (test/fixtures/load_csv.sql): \copy a CSV of
-- test/data into csv_lines and SELECT pg_temp.load_csv(NAME) for one more.
-- The regression suites include test/fixtures/NAME.sql, the data sets they use.
\ir fixtures/iris.sql
\ir fixtures/wine.sql
\ir fixtures/breast_cancer.sql
\ir fixtures/digits.sql
\ir fixtures/pima.sql
\ir fixtures/glass.sql
-- the regression data sets: numeric columns as they are, the target last
\ir fixtures/concrete.sql
\ir fixtures/diabetes.sql
