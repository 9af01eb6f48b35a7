-- bpnn_search: cross-validated settings of a grid, best first.
-- Uses iris, concrete and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/concrete.sql
\i test/fixtures/try.sql
\set ECHO all
\set iris_features '{sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm}'

-- A data set whose answer is known: the parity of two inputs (XOR, with a
-- little deterministic jitter).  One hidden unit cannot separate it (at
-- most 3 of its 4 corners); eight can.
CREATE TABLE xor_points AS
SELECT i, (i % 2) + 0.1 * sin(i * 1.7) AS x1, ((i / 2) % 2) + 0.1 * cos(i * 2.3) AS x2,
       CASE WHEN (i % 2) <> ((i / 2) % 2) THEN 'odd' ELSE 'even' END AS parity
FROM generate_series(1, 400) i;
SELECT rank, settings, accuracy > 0.95 AS solved, accuracy <= 0.76 AS at_most_three_corners,
       accuracy_stddev >= 0 AS has_stddev, rmse IS NULL AS no_rmse, seconds >= 0 AS timed,
       model IS NULL AS no_model
FROM bpnn_search('xor_points', 'parity', '{"hidden": [[1], [8]]}',
                 options => '{"epochs": 200, "optimizer": "adam", "learning_rate": 0.01, "loss": "cross_entropy"}',
                 features => '{x1,x2}')
ORDER BY rank;

-- Each setting's figures are bpnn_cross_validate's for the same arguments
-- (the same folds, from options' seed), to the bit: the mean of the folds'
-- accuracy and loss.
CREATE TABLE iris_search AS
SELECT * FROM bpnn_search('iris_cv', 'label', '{"hidden": [[2], [8]], "learning_rate": [0.05, 0.2]}',
                          folds => 4, options => '{"seed": 3, "epochs": 50}',
                          features => :'iris_features', refit => true);
SELECT settings FROM iris_search ORDER BY settings::text;
SELECT count(*) AS settings, count(DISTINCT settings) AS distinct_settings,
       array_agg(rank ORDER BY rank) AS ranks,
       bool_and(best_first) AS best_first
FROM (SELECT rank, settings,
             accuracy > lead(accuracy) OVER w OR
             (accuracy = lead(accuracy) OVER w AND loss <= lead(loss) OVER w) OR
             lead(accuracy) OVER w IS NULL AS best_first
      FROM iris_search WINDOW w AS (ORDER BY rank)) ranked;
WITH cv AS (
  SELECT avg(accuracy) AS accuracy, avg(loss) AS loss,
         sqrt(avg(accuracy * accuracy) - avg(accuracy) ^ 2) AS stddev
  FROM bpnn_cross_validate('iris_cv', 'label', folds => 4, features => :'iris_features',
                           hidden => '{8}', learning_rate => 0.2, epochs => 50, seed => 3))
SELECT s.accuracy = cv.accuracy AS same_accuracy, s.loss = cv.loss AS same_loss,
       abs(s.accuracy_stddev - cv.stddev) < 1e-9 AS same_stddev
FROM iris_search s, cv WHERE s.settings = '{"hidden": [8], "learning_rate": 0.2}';

-- refit => true: the best setting trained on every row, on the first row
-- only; the same model bpnn_train makes with those settings (but its time)
SELECT rank, model IS NOT NULL AS has_model FROM iris_search ORDER BY rank;
SELECT (s.model::jsonb - 'training') = (t.m::jsonb - 'training') AS same_model,
       bpnn_info(s.model)->'training'->'epochs' AS epochs
FROM iris_search s,
     LATERAL (SELECT bpnn_train('iris_cv', 'label', features => :'iris_features',
                                hidden => ARRAY[(s.settings->'hidden'->>0)::int],
                                learning_rate => (s.settings->>'learning_rate')::float8,
                                epochs => 50, seed => 3) AS m) t
WHERE s.rank = 1;

-- trials: that many distinct settings of the grid, drawn with options'
-- seed; the same seed draws the same ones, and trials past the grid's
-- size run them all
CREATE TABLE trial_draws AS
SELECT run, seed, array_agg(settings::text ORDER BY settings::text) AS drawn, count(*) AS n
FROM (VALUES (1, 1), (2, 1), (3, 2)) AS seeds(run, seed),
     LATERAL bpnn_search('iris_cv', 'label', '{"hidden": [[2], [4], [8]], "learning_rate": [0.05, 0.1, 0.2], "batch_size": [0, 16]}',
                         folds => 2, options => jsonb_build_object('seed', seed, 'epochs', 3),
                         features => :'iris_features', trials => 3)
GROUP BY run, seed;
SELECT run, seed, n FROM trial_draws ORDER BY run;
SELECT a.drawn = b.drawn AS same_seed_same_draw, a.drawn <> c.drawn AS other_seed_other_draw
FROM trial_draws a, trial_draws b, trial_draws c WHERE a.run = 1 AND b.run = 2 AND c.run = 3;
SELECT count(*) AS all_of_them
FROM bpnn_search('iris_cv', 'label', '{"hidden": [[2], [4]]}', folds => 2,
                 options => '{"epochs": 3}', features => :'iris_features', trials => 10);

-- a number stands for a one-layer hidden array, as in bpnn_fit's options
SELECT rank, settings FROM bpnn_search('iris_cv', 'label', '{"hidden": [3, [3]]}', folds => 2,
                                       options => '{"epochs": 3}', features => :'iris_features')
ORDER BY rank;

-- a regressor: ranked by RMSE (lowest first), with R²; no accuracy
SELECT rank, settings, rmse > 0 AS has_rmse, rmse_stddev >= 0 AS has_stddev, r2 IS NOT NULL AS has_r2, rank = 2 OR r2 > 0.7 AS fits,
       accuracy IS NULL AS no_accuracy,
       rmse <= lead(rmse) OVER (ORDER BY rank) OR rank = 2 AS best_first
FROM bpnn_search('concrete', 'compressive_strength', '{"epochs": [1, 60]}', folds => 3,
                 options => '{"task": "regression", "hidden": [16]}')
ORDER BY rank;

-- A setting whose training fails (learning_rate 1000 diverges) does not end
-- the search: it comes last, with NULL figures and its error; the others
-- are as without it.  The same with the folds in parallel workers (where
-- planned; the failing setting's workers are ended with its subtransaction).
CREATE TABLE failing AS
SELECT w, s.*
FROM (VALUES (0), (2)) AS workers(w),
     LATERAL (SELECT set_config('bpnn.max_parallel_workers', w::text, false)) g,
     LATERAL bpnn_search('concrete', 'compressive_strength', '{"learning_rate": [1000, 0.01, 999]}',
                         folds => 3, options => '{"task": "regression", "hidden": [8], "activation": "relu", "epochs": 5}',
                         refit => true) s;
RESET bpnn.max_parallel_workers;
SELECT w, rank, settings, rmse IS NOT NULL AS has_rmse, r2 IS NOT NULL AS has_r2,
       loss IS NOT NULL AS has_loss, seconds IS NOT NULL AS timed, model IS NOT NULL AS has_model, error
FROM failing ORDER BY w, rank;
SELECT a.rmse = b.rmse AND a.loss = b.loss AS workers_same_figures
FROM failing a JOIN failing b USING (rank) WHERE a.w = 0 AND b.w = 2 AND a.error IS NULL;
SELECT failing.rmse = cv.rmse AS as_without_the_failing_ones
FROM failing, (SELECT avg(rmse) AS rmse FROM bpnn_cross_validate('concrete', 'compressive_strength', folds => 3,
                   task => 'regression', hidden => '{8}', activation => 'relu', epochs => 5, learning_rate => 0.01)) cv
WHERE w = 0 AND rank = 1;
-- every setting failing: no model to refit; inside a PL/pgSQL block that
-- catches errors, and the transaction goes on
BEGIN;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT rank, model IS NULL AS no_model, error
           FROM bpnn_search('concrete', 'compressive_strength', '{"learning_rate": [1000]}', folds => 2,
                            options => '{"task": "regression", "hidden": [8], "activation": "relu", "epochs": 5}',
                            refit => true) LOOP
    RAISE NOTICE 'rank %, no model %: %', r.rank, r.no_model, r.error;
  END LOOP;
  PERFORM 1 / 0;
EXCEPTION WHEN division_by_zero THEN
  RAISE NOTICE 'the block''s own error caught';
END $$;
SELECT count(*) AS rows_seen FROM concrete;
COMMIT;

-- the misuses
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"hiden": [[8]]}')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"features": [["n"]]}')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"task": ["classification", "regression"]}')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"hidden": []}')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"epochs": 10}')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{}')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '[1, 2]')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"learning_rate": ["fast"]}')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"learning_rate": [-1]}')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"epochs": [1,2,3,4,5,6,7,8,9,10], "seed": [1,2,3,4,5,6,7,8,9,10], "batch_size": [1,2,3,4,5,6,7,8,9,10], "patience": [1,2,3,4,5,6,7,8,9,10,11]}')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"epochs": [1]}', folds => 1)$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"epochs": [1]}', trials => 0)$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"epochs": [1]}', options => '[]')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"epochs": [1]}', options => '{"exclude": ["n"]}')$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', NULL)$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"epochs": [1]}', refit => NULL)$$);
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'no_such_column', '{"epochs": [1]}')$$);
-- a bad value is found before the table is read, in whichever setting has it
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"epochs": [1, 0]}', features => '{sepal_length_cm}')$$);

-- the caller's privileges: no SELECT on the table, no search
CREATE ROLE bpnn_search_user;
GRANT SELECT (label) ON iris_cv TO bpnn_search_user;
SET ROLE bpnn_search_user;
SELECT try($$SELECT * FROM bpnn_search('iris_cv', 'label', '{"epochs": [1]}', features => '{sepal_length_cm}')$$);
RESET ROLE;
REVOKE ALL ON iris_cv FROM bpnn_search_user;
DROP ROLE bpnn_search_user;
