-- The main job on real data (run by test/demo.sh in a throwaway cluster):
-- train a network on the UCI letter data set, score held-out rows, predict,
-- and show what the model knows about itself.
\set ON_ERROR_STOP on
\timing off
CREATE EXTENSION bpnn;
\echo '== loading the UCI data sets from test/data'
\set QUIET on
\o /dev/null
\i test/load_data.sql
\copy csv_lines(line) FROM 'test/data/letter.csv'
SELECT pg_temp.load_csv('letter');
\o
\set QUIET off
SELECT count(*) AS letter_rows, count(DISTINCT label) AS classes FROM letter_cv;

\echo '== training on 90% of letter (fold 0 held out), default settings'
CREATE VIEW letter_train AS SELECT * FROM letter_cv WHERE fold <> 0;
\timing on
CREATE TABLE letter_model AS
SELECT bpnn_train('letter_train', 'label',
                  features => ARRAY['x_box','y_box','width','high','onpix','x_bar','y_bar','x2bar',
                                    'y2bar','xybar','x2ybr','xy2br','x_ege','xegvy','y_ege','yegvx']) AS model;
\timing off
SELECT bpnn_info(model)->'layers' AS layers,
       bpnn_info(model)->'training'->'rows_used' AS rows,
       round((bpnn_info(model)->'training'->>'seconds')::numeric, 2) AS seconds,
       round((bpnn_info(model)->'training'->>'train_accuracy')::numeric, 4) AS train_accuracy
FROM letter_model;

\echo '== held-out evaluation on the 10% the model never saw'
CREATE VIEW letter_test AS SELECT * FROM letter_cv WHERE fold = 0;
SELECT e->'rows_used' AS held_out_rows, round((e->>'accuracy')::numeric, 4) AS accuracy,
       round((e->>'macro_f1')::numeric, 4) AS macro_f1
FROM (SELECT bpnn_evaluate(model, 'letter_test', 'label') AS e FROM letter_model) s;
\echo '   the most confused pairs'
SELECT actual, predicted, count
FROM bpnn_confusion((SELECT model FROM letter_model), 'letter_test', 'label')
WHERE actual <> predicted ORDER BY count DESC, actual, predicted LIMIT 5;

\echo '== a few predictions, with the probability of the predicted class'
SELECT n AS row, label AS actual,
       bpnn_predict(m.model, f) AS predicted,
       round((SELECT max(p) FROM unnest(bpnn_predict_proba(m.model, f)) p)::numeric, 3) AS probability
FROM (SELECT n, label, ARRAY[x_box, y_box, width, high, onpix, x_bar, y_bar, x2bar,
                             y2bar, xybar, x2ybr, xy2br, x_ege, xegvy, y_ege, yegvx] AS f
      FROM letter_test ORDER BY n LIMIT 8) r, letter_model m;

\echo '== 10-fold cross-validation (bpnn_cross_validate), default settings, against scikit-learn (test/data/README.md)'
SELECT name, round(avg(accuracy)::numeric, 3) AS bpnn, round(stddev(accuracy)::numeric, 3) AS std,
       reference AS scikit_learn, round(sum(seconds)::numeric, 2) AS seconds
FROM (VALUES ('iris', 0.953), ('wine', 0.983), ('breast_cancer', 0.967), ('digits', 0.972),
             ('pima', 0.763), ('glass', 0.682)) r(name, reference),
     LATERAL bpnn_cross_validate(name::regclass, 'label')
GROUP BY name, reference ORDER BY name;

\echo '== the configuration of Jiang 2020 is one call away (decimal scaling, whole-set batches, momentum 0.7;'
\echo '   32 hidden units, learning rate 0.1 and 200 epochs as in the reference run: glass .46, pima .66)'
SELECT name, round(avg(accuracy)::numeric, 3) AS research
FROM unnest(ARRAY['iris', 'wine', 'breast_cancer', 'pima', 'glass']) name,
     LATERAL bpnn_cross_validate(name::regclass, 'label', normalization => 'decimal', batch_size => 0,
                                 momentum => 0.7, hidden => '{32}', learning_rate => 0.1, epochs => 200)
GROUP BY name ORDER BY name;
