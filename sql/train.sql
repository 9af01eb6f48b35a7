-- bpnn_train: defaults, the configuration of Jiang 2020, every activation
-- and normalization, layouts, label types, array features, skipped rows,
-- reproducibility, odd names, cancellation and the memory limit.
-- Uses iris, pima, glass and digits_pixels (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/pima.sql
\i test/fixtures/glass.sql
\i test/fixtures/digits_pixels.sql
\set ECHO all
SELECT bpnn_train('iris', 'label') AS m \gset
SELECT bpnn_info(:'m')->'layers' AS layers, bpnn_classes(:'m') AS classes,
       bpnn_info(:'m')->'features' AS features;
SELECT key, value FROM jsonb_each(bpnn_info(:'m')->'training')
WHERE key NOT IN ('seconds', 'loss_summary', 'final_loss', 'train_accuracy') ORDER BY key;
-- bpnn_info summarises the losses; the text form keeps one per epoch
SELECT jsonb_array_length(:'m'::jsonb->'training'->'loss_per_epoch') AS losses,
       (bpnn_info(:'m')->'training'->>'train_accuracy')::float8 > 0.95 AS fits,
       (l->>-1)::float8 < (l->>0)::float8 / 5 AS loss_falls,
       bpnn_info(:'m')->'training'->'loss_summary' =
       jsonb_build_object('epochs', jsonb_array_length(l), 'first', l->0, 'last', l->-1,
                          'lowest', (SELECT min(v::float8) FROM jsonb_array_elements_text(l) v)::text::jsonb,
                          'lowest_epoch', (SELECT i FROM jsonb_array_elements_text(l) WITH ORDINALITY e(v, i)
                                           ORDER BY v::float8, i LIMIT 1)) AS summary_matches,
       bpnn_info(:'m')->'training' ? 'loss_per_epoch' AS info_lists_every_loss
FROM (SELECT :'m'::jsonb->'training'->'loss_per_epoch' AS l) s;

-- same data and seed: bit-identical weights and losses (only the recorded
-- seconds differ); another seed: other weights
SELECT (m::text::jsonb - 'training') = (:'m'::jsonb - 'training') AS same_seed_same_weights,
       m::text::jsonb->'training'->'loss_per_epoch' = :'m'::jsonb->'training'->'loss_per_epoch' AS same_losses
FROM (SELECT bpnn_train('iris', 'label') AS m) s;
SELECT bpnn_train('iris', 'label', seed => 2)::text::jsonb->'weights' <> :'m'::jsonb->'weights' AS other_seed_other_weights;

-- the configuration of Jiang 2020: decimal scaling, whole-set batches, momentum 0.7
SELECT bpnn_train('iris', 'label', normalization => 'decimal', batch_size => 0, epochs => 1000) AS r \gset
SELECT bpnn_info(:'r')->'normalization' AS decimal_scaling,
       (bpnn_info(:'r')->'training'->>'train_accuracy')::float8 > 0.9 AS fits;
-- classic online backpropagation: one row at a time, no momentum
SELECT (bpnn_info(bpnn_train('iris', 'label', normalization => 'decimal', batch_size => 1,
                             momentum => 0, learning_rate => 0.01, epochs => 50))
        ->'training'->>'train_accuracy')::float8 > 0.9 AS online_fits;

-- every activation trains with every normalization (better than the 1/3
-- of guessing), and each reaches a good fit on centred inputs
SELECT a AS activation, n AS normalization,
       bpnn_info(m)->>'output_activation' AS output,
       (bpnn_info(m)->'training'->>'train_accuracy')::float8 > 0.6 AS learns,
       (bpnn_info(m)->'training'->>'train_accuracy')::float8 > 0.85 AS fits
FROM unnest(ARRAY['bipolar_sigmoid', 'tanh', 'sigmoid', 'relu']) a,
     unnest(ARRAY['decimal', 'minmax', 'zscore', 'none']) n,
     LATERAL (SELECT bpnn_train('iris', 'label', activation => a, normalization => n,
                                epochs => 200, learning_rate => 0.1)) t(m)
ORDER BY 1, 2;
SELECT bpnn_info(bpnn_train('iris', 'label', normalization => 'minmax', epochs => 1))->'normalization' AS minmax;

-- layouts: two hidden layers, and none at all
SELECT bpnn_info(bpnn_train('iris', 'label', hidden => '{8,6}', epochs => 10))->'layers' AS two_hidden,
       bpnn_info(bpnn_train('iris', 'label', hidden => '{}', epochs => 10))->'layers' AS no_hidden;

-- explicit features, in the order given
SELECT bpnn_info(bpnn_train('iris', 'label', features => '{petal_width_cm,sepal_length_cm}', epochs => 5))->'features';

-- integer labels sort numerically, boolean labels work too
SELECT bpnn_classes(bpnn_train('glass', 'label', epochs => 5)) AS glass_classes;
CREATE TABLE flowers AS SELECT *, label = 'setosa' AS is_setosa FROM iris;
SELECT bpnn_classes(bpnn_train('flowers', 'is_setosa', features => '{petal_length_cm,petal_width_cm}', epochs => 5)) AS bool_classes;

-- an array column gives one input per element
SELECT bpnn_train('digits_pixels', 'label', epochs => 5) AS d \gset
SELECT jsonb_array_length(bpnn_info(:'d')->'features') AS inputs,
       bpnn_info(:'d')->'features'->>0 AS first, bpnn_info(:'d')->'features'->>63 AS last,
       bpnn_info(:'d')->'layers' AS layers;

-- rows with a NULL label or a NULL feature are skipped and counted
CREATE TABLE iris_gaps AS SELECT * FROM iris_cv;
UPDATE iris_gaps SET label = NULL WHERE n IN (2, 3, 4);
UPDATE iris_gaps SET sepal_width_cm = NULL WHERE n IN (5, 6);
SELECT bpnn_info(m)->'training'->'rows_used' AS used, bpnn_info(m)->'training'->'rows_skipped' AS skipped
FROM (SELECT bpnn_train('iris_gaps', 'label', features => '{sepal_length_cm,sepal_width_cm}', epochs => 5) m) s;
CREATE TABLE digits_gaps AS SELECT * FROM digits_pixels;
UPDATE digits_gaps SET pixels[3] = NULL WHERE label = 0;
SELECT bpnn_info(bpnn_train('digits_gaps', 'label', epochs => 1))->'training'->'rows_skipped' AS skipped;

-- names with quotes, spaces, semicolons and unicode; a schema; a view
CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Odd ""Table""" ("a;b" float8, "ü x" int, "Label" text);
INSERT INTO "My Schema"."Odd ""Table"""
SELECT sepal_length_cm, (petal_length_cm * 10)::int, label FROM iris;
SELECT bpnn_info(m)->'training'->>'source' AS source, bpnn_info(m)->'features' AS features
FROM (SELECT bpnn_train('"My Schema"."Odd ""Table"""', 'Label', epochs => 5) m) s;
CREATE VIEW "My Schema".setosa_or_not AS SELECT "a;b", "ü x", "Label" = 'setosa' AS setosa FROM "My Schema"."Odd ""Table""";
SELECT bpnn_classes(bpnn_train('"My Schema".setosa_or_not', 'setosa', epochs => 5)) AS view_classes;

-- cancellation: statement_timeout stops a long training (terse: under Valgrind
-- the timeout can fire while the rows are read, which adds a CONTEXT line)
\set VERBOSITY terse
SET statement_timeout = '200ms';
SELECT bpnn_train('digits_pixels', 'label', epochs => 1000000);
RESET statement_timeout;
\set VERBOSITY default

-- rows beyond bpnn.memory_limit are trained by streaming (see sql/stream.sql)
SET bpnn.memory_limit = '256kB';
SELECT bpnn_info(bpnn_train('digits_pixels', 'label', hidden => '{4}', epochs => 5))->'training'->>'rows_used' AS streamed_rows;
SET bpnn.memory_limit = '64kB';
SELECT bpnn_train('digits_pixels', 'label');
SHOW bpnn.memory_limit;
RESET bpnn.memory_limit;
SHOW bpnn.memory_limit;

-- beyond Jiang 2020: softmax with cross-entropy, Adam, L2 weight decay
SELECT bpnn_train('iris', 'label', loss => 'cross_entropy', optimizer => 'adam',
                  learning_rate => 0.01, weight_decay => 0.001) AS ce \gset
SELECT bpnn_info(:'ce')->>'loss' AS loss, bpnn_info(:'ce')->>'output_activation' AS output,
       bpnn_info(:'ce')->'training'->>'optimizer' AS optimizer,
       (bpnn_info(:'ce')->'training'->>'train_accuracy')::float8 > 0.95 AS fits,
       abs((SELECT sum(p) FROM unnest(bpnn_predict_proba(:'ce', ARRAY[5.1, 3.5, 1.4, 0.2])) p) - 1) < 1e-6 AS softmax_sums_to_one;
-- weight decay keeps weights smaller
SELECT (SELECT max(abs(w::float8)) FROM jsonb_array_elements(bpnn_train('iris', 'label', weight_decay => 0.05)::text::jsonb->'weights'->0) w)
     < (SELECT max(abs(w::float8)) FROM jsonb_array_elements(bpnn_train('iris', 'label')::text::jsonb->'weights'->0) w)
  AS decay_shrinks_weights;

-- early stopping: a stratified validation share, the best epoch's weights kept
SELECT t->'rows_used' AS trained, t->'validation_rows' AS validated,
       (t->>'epochs_run')::int < 2000 AS stopped_early,
       (t->>'epochs_run')::int - (t->>'best_epoch')::int AS epochs_after_best,
       (t->>'validation_loss')::float8 > 0 AS has_validation_loss
FROM (SELECT bpnn_info(bpnn_train('pima', 'label', epochs => 2000, validation_fraction => 0.2, patience => 15))->'training' AS t) s;

-- class weights: balanced, or per class; a weighted class is found more often
SELECT bpnn_info(bpnn_train('pima', 'label', class_weights => 'balanced', epochs => 5))->'training'->'class_weights' AS balanced;
SELECT (w->'classes'->1->>'recall')::float8 > (u->'classes'->1->>'recall')::float8 AS weighted_class_recalled_more
FROM (SELECT bpnn_evaluate(bpnn_train('pima', 'label', class_weights => '{"pos": 3}'), 'pima', 'label') AS w,
             bpnn_evaluate(bpnn_train('pima', 'label'), 'pima', 'label') AS u) s;

-- bpnn.progress reports training as it goes (details, with times, left out here)
SET bpnn.progress = on;
\set VERBOSITY terse
SELECT bpnn_info(bpnn_train('iris', 'label', epochs => 20))->'training'->'epochs_run' AS epochs_run;
\set VERBOSITY default
RESET bpnn.progress;
