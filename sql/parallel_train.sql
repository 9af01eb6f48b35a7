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
-- exactly the model of training in one process.  Batches of 128 rows:
-- with 1,210 weights that is 3 slices' worth of work (the cost rule,
-- src/parallel_train.c), so 2 workers are planned
SHOW bpnn.parallel_training;
SET bpnn.max_parallel_workers = 2;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15, batch_size => 128) AS by_default \gset
SET bpnn.parallel_training = on;
SET bpnn.max_parallel_workers = 0;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15, batch_size => 128) AS serial \gset
SELECT bpnn_info(:'serial')->'training'->'workers' AS workers,
       (:'serial'::text::jsonb->'weights') = (:'by_default'::text::jsonb->'weights') AS default_is_one_process,
       bpnn_info(:'by_default')->'training'->'workers' AS default_workers;

-- with workers: synchronous data-parallel mini-batches, each batch's
-- gradient summed in one slice per planned participant.  The same seed and
-- planned worker count give the same bits, however many workers started
-- (none: the leader sums every slice itself)
SET bpnn.max_parallel_workers = 2;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15, batch_size => 128) AS two \gset
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15, batch_size => 128) AS two_again \gset
SET max_parallel_workers = 0;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15, batch_size => 128) AS two_none_started \gset
RESET max_parallel_workers;
SELECT (:'two'::text::jsonb - 'training') = (:'two_again'::text::jsonb - 'training') AS repeatable,
       (:'two'::text::jsonb->'training'->'loss_per_epoch') = (:'two_again'::text::jsonb->'training'->'loss_per_epoch')
         AS same_losses,
       (:'two'::text::jsonb - 'training') = (:'two_none_started'::text::jsonb - 'training') AS same_when_none_started,
       bpnn_info(:'two')->'training'->'workers' AS workers;
-- the same as one process but for the order of the float32 sums: the
-- same predictions on nearly every row (each batch's small rounding
-- differences compound over 15 epochs, so no bound on the weights holds)
SELECT avg((bpnn_predict(:'two'::text::bpnn_model, pixels) = bpnn_predict(:'serial'::text::bpnn_model, pixels))::int) > 0.98
       AS predicts_as_one_process
FROM digits_pixels;

-- one step of the whole set (1,797 rows, batch_size 0): the weights may
-- differ from one process's only by how the step's float32 sums round.
-- Summing n terms in any order errs by at most (n - 1) * 2^-24 times the
-- sum of their magnitudes, and each term (an input or activation, at most 1
-- after decimal scaling or the bipolar sigmoid, times an error signal, at
-- most 1 at the start: 2 * 0.5 at the outputs, 0.5 * 10 outputs * 0.1
-- init_range in the hidden layer) is at most 1 in magnitude, so two orders
-- differ by at most 2 * (n - 1) * 2^-24 in the mean, times the learning
-- rate; the weights' own last rounding adds less than 1e-6
CREATE FUNCTION pg_temp.flat(m text) RETURNS TABLE (i bigint, w float8) LANGUAGE sql AS $$
	SELECT i, v::text::float8
	FROM jsonb_path_query(m::jsonb, 'strict $.weights[*][*]') WITH ORDINALITY AS x(v, i) $$;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 1, batch_size => 0,
                  normalization => 'decimal', learning_rate => 0.5) AS step_two \gset
SET bpnn.max_parallel_workers = 0;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 1, batch_size => 0,
                  normalization => 'decimal', learning_rate => 0.5) AS step_one \gset
SELECT count(*) AS weights,
       max(abs(a.w - b.w)) <= 2 * 1796 * 2 ^ -24 * 0.5 + 1e-6 AS within_the_bound,
       bpnn_info(:'step_two')->'training'->'workers' AS workers
FROM pg_temp.flat(:'step_two') a JOIN pg_temp.flat(:'step_one') b USING (i);

-- another planned count sums in other slices: repeatable for that count
SET bpnn.max_parallel_workers = 1;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15, batch_size => 128) AS one \gset
SELECT (bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15, batch_size => 128)::text::jsonb - 'training')
       = (:'one'::text::jsonb - 'training') AS one_worker_repeatable,
       bpnn_info(:'one')->'training'->'workers' AS workers;
-- the cost rule: batches with too little work for two slices (iris: 32
-- rows x 515 weights; digits with hidden 64: 8 rows x 4,810) train in one
-- process
SELECT bpnn_info(bpnn_train('iris', 'label', epochs => 5))->'training'->'workers' AS iris_workers,
       bpnn_info(bpnn_train('digits_pixels', 'label', epochs => 2, batch_size => 8))->'training'->'workers'
         AS batch_8_workers;

-- regression trains on several cores too (the standardized targets in
-- shared memory): the same bits however many workers started, and the
-- one-process fit but for rounding (20 whole-set steps of 150 rows: the
-- final losses differ by about 1e-8 relative; 1e-4 leaves room for the
-- steps' rounding differences to grow)
SET bpnn.max_parallel_workers = 2;
SELECT bpnn_train('iris', 'petal_width_cm', features => '{sepal_length_cm, sepal_width_cm, petal_length_cm}',
                  task => 'regression', hidden => '{256}', epochs => 20, batch_size => 0) AS reg_two \gset
SET max_parallel_workers = 0;
SELECT bpnn_train('iris', 'petal_width_cm', features => '{sepal_length_cm, sepal_width_cm, petal_length_cm}',
                  task => 'regression', hidden => '{256}', epochs => 20, batch_size => 0) AS reg_none_started \gset
RESET max_parallel_workers;
SET bpnn.max_parallel_workers = 0;
SELECT bpnn_train('iris', 'petal_width_cm', features => '{sepal_length_cm, sepal_width_cm, petal_length_cm}',
                  task => 'regression', hidden => '{256}', epochs => 20, batch_size => 0) AS reg_one \gset
SELECT (:'reg_two'::text::jsonb - 'training') = (:'reg_none_started'::text::jsonb - 'training') AS same_when_none_started,
       bpnn_info(:'reg_two')->'training'->'workers' AS workers,
       abs((bpnn_info(:'reg_two')->'training'->>'final_loss')::float8
           - (bpnn_info(:'reg_one')->'training'->>'final_loss')::float8)
         <= 1e-4 * (bpnn_info(:'reg_one')->'training'->>'final_loss')::float8 AS loss_as_one_process;

-- a warm start trains in parallel too, and keep_state keeps the one
-- optimizer state (the leader's, which the stripes update): n epochs, then
-- k more, give the bits of n + k epochs for the same planned worker count.
-- Momentum, Adam (its moments and step count), and early stopping (its
-- record and the last epoch's weights: this run stops at epoch 15, its best
-- 12, and is continued from epoch 10)
SET bpnn.max_parallel_workers = 2;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 15, batch_size => 128,
                  keep_state => true) AS ws_long \gset
SELECT bpnn_train('digits_pixels', 'label', epochs => 7, init_model =>
         bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 8, batch_size => 128,
                    keep_state => true)) AS ws_continued \gset
SELECT (:'ws_long'::text::jsonb - 'training') = (:'ws_continued'::text::jsonb - 'training') AS momentum_same_bits,
       (:'ws_long'::text::jsonb->'training'->'loss_per_epoch')
         = (:'ws_continued'::text::jsonb->'training'->'loss_per_epoch') AS same_losses,
       bpnn_info(:'ws_long')->'training'->'workers' AS workers,
       bpnn_info(:'ws_continued')->'training'->'workers' AS continued_workers;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 12, batch_size => 128, optimizer => 'adam',
                  learning_rate => 0.01, keep_state => true) AS ws_long \gset
SELECT bpnn_train('digits_pixels', 'label', epochs => 5, init_model =>
         bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 7, batch_size => 128, optimizer => 'adam',
                    learning_rate => 0.01, keep_state => true)) AS ws_continued \gset
SELECT (:'ws_long'::text::jsonb - 'training') = (:'ws_continued'::text::jsonb - 'training') AS adam_same_bits,
       bpnn_info(:'ws_continued')->'training'->'workers' AS continued_workers;
SELECT bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 30, batch_size => 128, optimizer => 'adam',
                  learning_rate => 0.2, validation_fraction => 0.2, patience => 3, keep_state => true) AS ws_long \gset
SELECT bpnn_train('digits_pixels', 'label', epochs => 20, init_model =>
         bpnn_train('digits_pixels', 'label', hidden => '{16}', epochs => 10, batch_size => 128, optimizer => 'adam',
                    learning_rate => 0.2, validation_fraction => 0.2, patience => 3, keep_state => true)) AS ws_continued \gset
SELECT (:'ws_long'::text::jsonb - 'training') = (:'ws_continued'::text::jsonb - 'training') AS early_stopping_same_bits,
       bpnn_info(:'ws_continued')->'training'->'epochs_run' AS epochs_run,
       bpnn_info(:'ws_continued')->'training'->'best_epoch' AS best_epoch,
       bpnn_info(:'ws_continued')->'training'->'workers' AS continued_workers;

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
