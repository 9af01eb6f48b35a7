-- bpnn_progress(): the trainings running now (test/t/009_progress.pl watches
-- them from another session; here, what one session can see of itself)
-- Uses iris and try() (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/try.sql
\set ECHO all
SELECT pg_get_function_arguments('bpnn_progress()'::regprocedure);
SELECT p.provolatile, p.proparallel, p.proretset FROM pg_proc p WHERE p.oid = 'bpnn_progress()'::regprocedure;
-- nothing trains: no rows
SELECT * FROM bpnn_progress();
-- a training sees itself while it reads its source: a view whose rows
-- exist only while bpnn_progress() shows this backend reading it
CREATE VIEW iris_seen AS
SELECT i.* FROM iris i
WHERE EXISTS (SELECT FROM bpnn_progress() p
              WHERE p.pid = pg_backend_pid() AND p.command = 'bpnn_train' AND p.phase = 'reading'
                AND p.source::text = 'iris_seen' AND p.epoch = 0 AND p.rows IS NULL
                AND p.loss IS NULL AND p.time_left IS NULL AND p.leader_pid IS NULL);
SELECT bpnn_info(bpnn_train('iris_seen', 'label', epochs => 1))->'training'->'rows_used' AS rows_used;
-- and so does a cross-validation, with its folds
CREATE VIEW iris_seen_cv AS
SELECT i.* FROM iris i
WHERE EXISTS (SELECT FROM bpnn_progress() p
              WHERE p.pid = pg_backend_pid() AND p.command = 'bpnn_cross_validate'
                AND p.phase = 'reading' AND p.folds = 5 AND p.fold IS NULL);
SELECT sum(train_rows + test_rows) FROM bpnn_cross_validate('iris_seen_cv', 'label', folds => 5, epochs => 1);
-- a finished training leaves no row
SELECT count(*) FROM bpnn_progress();
-- nor does a failed one: this source fails (division by zero) exactly
-- when the slot shows its training, whose error is caught (a
-- subtransaction) or not
CREATE VIEW iris_fails AS
SELECT i.* FROM iris i
WHERE 1 / (1 - (SELECT count(*) FROM bpnn_progress() WHERE pid = pg_backend_pid())) = 1;
SELECT count(*) FROM iris_fails;
SELECT try($$SELECT bpnn_train('iris_fails', 'label')$$);
SELECT count(*) FROM bpnn_progress();
\set VERBOSITY terse
SELECT bpnn_train('iris_fails', 'label');
\set VERBOSITY default
SELECT count(*) FROM bpnn_progress();
-- a training inside another one's scan publishes nothing of its own: the
-- inner training's source has rows only while the slot shows the outer
-- training reading iris_nested, and the outer's only when the inner had rows
CREATE VIEW iris_inner AS
SELECT i.* FROM iris i
WHERE EXISTS (SELECT FROM bpnn_progress() p
              WHERE p.pid = pg_backend_pid() AND p.source::text = 'iris_nested' AND p.phase = 'reading');
CREATE FUNCTION inner_training() RETURNS bigint LANGUAGE sql AS $$
	SELECT (bpnn_info(bpnn_train('iris_inner', 'label', epochs => 1))->'training'->>'rows_used')::bigint
$$;
CREATE VIEW iris_nested AS SELECT i.* FROM iris i WHERE (SELECT inner_training()) = 150;
SELECT bpnn_info(bpnn_train('iris_nested', 'label', epochs => 1))->'training'->'rows_used' AS rows_used;
SELECT count(*) FROM bpnn_progress();
-- bpnn_importance shows itself reading its source too, and leaves no row
CREATE VIEW iris_seen_importance AS
SELECT i.* FROM iris i
WHERE EXISTS (SELECT FROM bpnn_progress() p
              WHERE p.pid = pg_backend_pid() AND p.command = 'bpnn_importance' AND p.phase = 'reading'
                AND p.source::text = 'iris_seen_importance' AND p.epoch = 0 AND p.fold IS NULL
                AND p.folds IS NULL AND p.loss IS NULL);
SELECT count(*) AS columns, bool_and(metric = 'accuracy_drop') AS accuracy
FROM bpnn_importance(bpnn_train('iris', 'label', epochs => 5), 'iris_seen_importance', 'label', repeats => 2);
SELECT count(*) FROM bpnn_progress();
DROP VIEW iris_seen, iris_seen_cv, iris_fails, iris_nested, iris_inner, iris_seen_importance;
DROP FUNCTION inner_training();
