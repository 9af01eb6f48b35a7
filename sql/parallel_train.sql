-- Training on several cores (src/parallel_cv.c, src/parallel_train.c).
-- bpnn.max_parallel_workers plans the workers; the figures must not depend
-- on how many of them actually start (a busy server may start none: the
-- leader then does their share), so every comparison below also runs with
-- max_parallel_workers = 0, where no worker can start.
-- Uses iris and digits_pixels (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/digits_pixels.sql
\set ECHO all

-- cross-validation: the folds are independent, so every fold's figures are
-- the same bits with workers as without (string arguments travel to the
-- workers: class weights as JSON, early stopping)
CREATE TEMP TABLE cv_runs (workers text, fold int, train_rows bigint, test_rows bigint,
                           accuracy float8, loss float8);
CREATE FUNCTION pg_temp.cv(label text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO cv_runs
	SELECT label, fold, train_rows, test_rows, accuracy, loss
	FROM bpnn_cross_validate('digits', 'label', folds => 5, hidden => '{16}', epochs => 15,
	                         class_weights => '{"3": 2, "8": 1.5}', validation_fraction => 0.1);
END $$;
SELECT pg_temp.cv('the default');
-- the default: -1, max_parallel_maintenance_workers; 0 trains in one process
SHOW bpnn.max_parallel_workers;
SET bpnn.max_parallel_workers = -2;
SET bpnn.max_parallel_workers = 0;
SELECT pg_temp.cv('none');
SET bpnn.max_parallel_workers = 2;
SELECT pg_temp.cv('two');
SET max_parallel_workers = 0;
SELECT pg_temp.cv('two planned, none started');
RESET max_parallel_workers;
SELECT b.workers, count(*) AS folds,
       bool_and(a.train_rows = b.train_rows AND a.test_rows = b.test_rows
                AND a.accuracy = b.accuracy AND a.loss = b.loss) AS every_fold_equal,
       min(b.accuracy) > 0.85 AS learns
FROM cv_runs a JOIN cv_runs b USING (fold)
WHERE a.workers = 'none'
GROUP BY b.workers ORDER BY b.workers;

-- bpnn_train: by default (bpnn.parallel_training off) in one process,
-- whatever bpnn.max_parallel_workers plans; with it on and no workers,
-- exactly the model of training in one process
SHOW bpnn.parallel_training;
SET bpnn.max_parallel_workers = 2;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15) AS by_default \gset
SET bpnn.parallel_training = on;
SET bpnn.max_parallel_workers = 0;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15) AS serial \gset
SELECT bpnn_info(:'serial')->'training'->'workers' AS workers,
       (:'serial'::text::jsonb->'weights') = (:'by_default'::text::jsonb->'weights') AS default_is_one_process,
       bpnn_info(:'by_default')->'training'->'workers' AS default_workers;

-- with workers: shards of the rows, their models averaged after each
-- epoch.  The same seed and planned worker count give the same model,
-- however many workers started
SET bpnn.max_parallel_workers = 2;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15) AS two \gset
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15) AS two_again \gset
SET max_parallel_workers = 0;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15) AS two_none_started \gset
RESET max_parallel_workers;
SELECT (:'two'::text::jsonb - 'training') = (:'two_again'::text::jsonb - 'training') AS repeatable,
       (:'two'::text::jsonb->'training'->'loss_per_epoch') = (:'two_again'::text::jsonb->'training'->'loss_per_epoch')
         AS same_losses,
       (:'two'::text::jsonb - 'training') = (:'two_none_started'::text::jsonb - 'training') AS same_when_none_started,
       (:'two'::text::jsonb->'weights') <> (:'serial'::text::jsonb->'weights') AS differs_from_one_process,
       bpnn_info(:'two')->'training'->'workers' AS workers;
-- another planned count is another model
SET bpnn.max_parallel_workers = 1;
SELECT (bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15)::text::jsonb->'weights')
       <> (:'two'::text::jsonb->'weights') AS one_worker_other_model;
-- too few rows for a shard each (256): no workers
SELECT bpnn_info(bpnn_train('iris', 'label', epochs => 5))->'training'->'workers' AS iris_workers;

-- accuracy: trained on 9 of digits' 10 folds, scored on the tenth (180
-- rows, 0.56 points each), with and without workers: within 3 points
CREATE TEMP TABLE digits_train AS SELECT * FROM digits_cv WHERE fold <> 0;
ALTER TABLE digits_train DROP COLUMN n, DROP COLUMN fold;
CREATE TEMP TABLE digits_test AS SELECT * FROM digits_cv WHERE fold = 0;
SET bpnn.max_parallel_workers = 0;
SELECT (bpnn_evaluate(bpnn_train('digits_train', 'label', epochs => 40), 'digits_test', 'label')->>'accuracy')::float8
       AS acc_serial \gset
SET bpnn.max_parallel_workers = 2;
SELECT (bpnn_evaluate(bpnn_train('digits_train', 'label', epochs => 40), 'digits_test', 'label')->>'accuracy')::float8
       AS acc_two \gset
SELECT :acc_serial > 0.93 AS serial_learns, :acc_two > 0.93 AS two_learn,
       abs(:acc_two - :acc_serial) <= 0.03 AS within_3_points;

-- an error in any participant (the caller or a worker) ends the statement
-- with that error; the session goes on
\set VERBOSITY terse
SELECT count(*) FROM bpnn_cross_validate('digits', 'label', folds => 3, epochs => 20, activation => 'relu',
                                         learning_rate => 1000, init_range => 10);
SELECT bpnn_train('digits', 'label', epochs => 20, activation => 'relu', learning_rate => 1000, init_range => 10);
\set VERBOSITY default
SELECT count(*) FROM bpnn_cross_validate('iris', 'label', folds => 3, epochs => 2) AS still_works;
RESET bpnn.max_parallel_workers;

-- the record: a model of format version 1 (before workers) still reads, as 0 workers
SELECT bpnn_info((jsonb_set(:'two'::text::jsonb, '{format_version}', '1') #- '{training,workers}')::text::bpnn_model)
       ->'training'->'workers' AS version_1_workers;
SELECT jsonb_set(:'two'::text::jsonb, '{training,workers}', '-1')::text::bpnn_model;
RESET bpnn.parallel_training;
