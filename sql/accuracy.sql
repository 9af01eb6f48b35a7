-- Accuracy on real data with the default settings: stratified 10-fold
-- cross-validation (bpnn_cross_validate) must reach the scikit-learn
-- reference of test/data/README.md minus 2 points.
-- Uses iris, wine, breast_cancer, digits and pima (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/wine.sql
\i test/fixtures/breast_cancer.sql
\i test/fixtures/digits.sql
\i test/fixtures/pima.sql
\set ECHO all
SELECT name, avg(accuracy) >= reference - 0.02 AS within_2_points_of_reference,
       count(*) AS folds, sum(test_rows) AS rows
FROM (VALUES ('iris', 0.953), ('wine', 0.983), ('breast_cancer', 0.967), ('digits', 0.972)) r(name, reference),
     LATERAL bpnn_cross_validate(name::regclass, 'label')
GROUP BY name, reference ORDER BY name;
-- The configuration of Jiang 2020 reproduces its reference run
-- (numpy, hidden 32, 200 epochs, learning rate 0.1, momentum 0.7, decimal
-- scaling, whole-set batches): pima 0.66.
SELECT avg(accuracy) BETWEEN 0.63 AND 0.69 AS research_configuration_matches_reference
FROM bpnn_cross_validate('pima', 'label', normalization => 'decimal', batch_size => 0, hidden => '{32}',
                         epochs => 200, learning_rate => 0.1, momentum => 0.7);
