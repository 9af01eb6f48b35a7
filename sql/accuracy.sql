-- Accuracy on real data with the default settings: stratified 10-fold
-- cross-validation (cv_accuracy in test/load_data.sql) must reach the
-- scikit-learn reference of test/data/README.md minus 2 points.
-- The research's configuration is checked against its own reference run
-- (numpy, hidden 32, 200 epochs, decimal scaling, whole-set batches): pima .66.
SELECT name, cv_accuracy(name) >= reference - 0.02 AS within_2_points_of_reference
FROM (VALUES ('iris', 0.953), ('wine', 0.983), ('breast_cancer', 0.967), ('digits', 0.972)) r(name, reference)
ORDER BY name;
SELECT cv_accuracy('pima', '{"normalization": "decimal", "batch_size": 0, "hidden": [32], "epochs": 200, "learning_rate": 0.1, "momentum": 0.7}') BETWEEN 0.62 AND 0.70
  AS research_configuration_matches_reference;
