-- Explanations (issue 15, item 3): bpnn_importance (permutation importance
-- of each source column) and bpnn_explain (integrated gradients of one
-- row).  A synthetic table whose label depends on x1 and x2 only shows that
-- importance finds them, for a classifier and a regressor; the same seed
-- gives the same figures; a role without SELECT on the source is refused.
-- bpnn_explain's contributions must add up to the prediction's change from
-- the baseline (completeness) within the stated tolerance, and its
-- prediction must be bpnn_predict_proba's.  Figures are printed as
-- comparisons, never as digits that could follow the CPU's rounding.
-- Uses iris (test/fixtures) and a table made here.
\set ECHO none
\i test/fixtures/iris.sql
\set ECHO all

-- x1 and x2 decide the label; x3, x4, the category color and the array v
-- are noise.  hashint4 gives the same values on every platform.
CREATE TABLE explain_syn AS
SELECT i, x1, x2, x3, x4,
       (ARRAY['red', 'green', 'blue'])[1 + abs(hashint4(i * 7 + 5)) % 3] AS color,
       ARRAY[x3 * x4, x4 - x3] AS v,
       CASE WHEN x1 + x2 > 0 THEN 'pos' ELSE 'neg' END AS label,
       3 * x1 - 2 * x2 AS y
FROM (SELECT i, hashint4(i * 7 + 1)::float8 / 2147483648 AS x1,
             hashint4(i * 7 + 2)::float8 / 2147483648 AS x2,
             hashint4(i * 7 + 3)::float8 / 2147483648 AS x3,
             hashint4(i * 7 + 4)::float8 / 2147483648 AS x4
      FROM generate_series(1, 600) i) s;

CREATE TABLE explain_models AS
SELECT 'classifier' AS name,
       bpnn_train('explain_syn', 'label', features => '{x1,x2,x3,x4,color,v}', seed => 1) AS model
UNION ALL
SELECT 'regressor', bpnn_train('explain_syn', 'y', features => '{x1,x2,x3,x4,color,v}',
                               task => 'regression', seed => 1)
UNION ALL
SELECT 'softmax', bpnn_train('explain_syn', 'label', features => '{x1,x2,x3,x4}',
                             loss => 'cross_entropy', hidden => '{16,8}', seed => 2)
UNION ALL
SELECT 'relu', bpnn_train('explain_syn', 'label', features => '{x1,x2,x3,x4}',
                          activation => 'relu', seed => 3)
UNION ALL
SELECT 'iris', bpnn_train('iris', 'label', seed => 1);
-- the models learned the rule (else importance would have nothing to find)
SELECT name, (bpnn_evaluate(model, 'explain_syn', CASE name WHEN 'regressor' THEN 'y' ELSE 'label' END)
              ->> CASE name WHEN 'regressor' THEN 'r2' ELSE 'accuracy' END)::float8 > 0.95 AS learned
FROM explain_models WHERE name <> 'iris' ORDER BY name;

-- Permutation importance: one row per source column (color and v once
-- each, not per input), most important first; x1 and x2 well above the
-- rest, the noise small (accuracy: 2 points; RMSE: 0.2, a tenth of y's
-- standard deviation)
CREATE TABLE explain_importance AS
SELECT name, f.*, row_number() OVER (PARTITION BY name ORDER BY f.importance DESC, f.feature) AS rank
FROM explain_models m,
     LATERAL bpnn_importance(m.model, 'explain_syn', CASE name WHEN 'regressor' THEN 'y' ELSE 'label' END) f
WHERE name IN ('classifier', 'regressor');
SELECT name, count(*) AS columns, array_agg(feature ORDER BY feature) AS features,
       min(metric) AS metric, min(metric) = max(metric) AS one_metric
FROM explain_importance GROUP BY name ORDER BY name;
SELECT name,
       array_agg(feature ORDER BY feature) FILTER (WHERE rank <= 2) AS top_two,
       min(importance) FILTER (WHERE rank <= 2) > 10 * max(abs(importance)) FILTER (WHERE rank > 2) AS clear_margin,
       max(abs(importance)) FILTER (WHERE feature NOT IN ('x1', 'x2')) <
           CASE name WHEN 'regressor' THEN 0.2 ELSE 0.02 END AS noise_small,
       min(importance) FILTER (WHERE rank <= 2) > CASE name WHEN 'regressor' THEN 1 ELSE 0.2 END AS signal_large,
       bool_and(stddev >= 0) AS stddev_ok
FROM explain_importance GROUP BY name ORDER BY name;
-- the rows come ordered by importance, most important first
SELECT bool_and(ordered) AS rows_in_order
FROM (SELECT importance <= lag(importance, 1, importance) OVER (ORDER BY ord) AS ordered
      FROM explain_models m,
           LATERAL bpnn_importance(m.model, 'explain_syn', 'label') WITH ORDINALITY f(feature, importance, stddev, metric, ord)
      WHERE name = 'classifier') s;

-- the same seed gives the same figures, bit for bit; another seed, others
SELECT model AS c FROM explain_models WHERE name = 'classifier' \gset
SELECT (SELECT array_agg(row(feature, importance, stddev)::text ORDER BY feature)
        FROM bpnn_importance(:'c', 'explain_syn', 'label', 3, 42)) =
       (SELECT array_agg(row(feature, importance, stddev)::text ORDER BY feature)
        FROM bpnn_importance(:'c', 'explain_syn', 'label', 3, 42)) AS same_seed_same_figures,
       (SELECT array_agg(importance ORDER BY feature)
        FROM bpnn_importance(:'c', 'explain_syn', 'label', 3, 42)) <>
       (SELECT array_agg(importance ORDER BY feature)
        FROM bpnn_importance(:'c', 'explain_syn', 'label', 3, 43)) AS other_seed_other_figures;
-- one repeat: no spread
SELECT bool_and(stddev = 0) AS one_repeat_no_stddev
FROM bpnn_importance(:'c', 'explain_syn', 'label', 1);

-- a view reads as the table does
CREATE VIEW explain_syn_view AS SELECT * FROM explain_syn WHERE i <= 300;
SELECT count(*) AS columns, bool_and(importance IS NOT NULL) AS figures
FROM bpnn_importance(:'c', 'explain_syn_view', 'label');

-- Privileges: the scan runs as the calling user
CREATE ROLE regress_bpnn_explainer;
SET ROLE regress_bpnn_explainer;
SELECT * FROM bpnn_importance(:'c', 'explain_syn', 'label');
RESET ROLE;
GRANT SELECT ON explain_syn TO regress_bpnn_explainer;
SET ROLE regress_bpnn_explainer;
SELECT count(*) AS columns FROM bpnn_importance(:'c', 'explain_syn', 'label');
RESET ROLE;
REVOKE SELECT ON explain_syn FROM regress_bpnn_explainer;
DROP ROLE regress_bpnn_explainer;

-- Importance errors
SELECT * FROM bpnn_importance(:'c', 'explain_syn', 'label', 0);
SELECT * FROM bpnn_importance(:'c', 'explain_syn', 'label', 1001);
SELECT * FROM bpnn_importance(:'c', 'explain_syn', 'no_such_column');
-- a model whose feature columns the source lacks
SELECT * FROM bpnn_importance((SELECT model FROM explain_models WHERE name = 'iris'), 'explain_syn', 'label');
-- the rows read count against bpnn.memory_limit, as bpnn_evaluate's
CREATE VIEW explain_syn_tenfold AS SELECT explain_syn.* FROM explain_syn, generate_series(1, 10);
SET bpnn.memory_limit = '64kB';
SELECT * FROM bpnn_importance(:'c', 'explain_syn_tenfold', 'label');
RESET bpnn.memory_limit;
-- a cancel request stops it: 1000 repeats of 6 columns take far longer
-- than the timeout on any machine
SET statement_timeout = '100ms';
SELECT * FROM bpnn_importance(:'c', 'explain_syn_tenfold', 'label', 1000);
RESET statement_timeout;
-- NULL arguments: no rows (STRICT)
SELECT count(*) AS null_repeats FROM bpnn_importance(:'c', 'explain_syn', 'label', NULL);

-- bpnn_explain: integrated gradients of one row.  Rows of the table, for
-- every kind of model: the method, the output explained, the class
-- (bpnn_predict's), completeness within 1e-4 of the prediction's change
-- (plus 1e-12 (1 + |prediction|), as documented; and the reported
-- completeness_error is the error the contributions show), and the
-- prediction equal to bpnn_predict_proba's (or bpnn_predict_value's) to
-- float4 precision
CREATE TABLE explain_rows AS
SELECT m.name, t.i,
       CASE WHEN m.name IN ('classifier', 'regressor') THEN bpnn_explain(m.model, t)
            ELSE bpnn_explain(m.model, ARRAY[t.x1, t.x2, t.x3, t.x4]) END AS e,
       CASE WHEN m.name = 'regressor' THEN NULL
            WHEN m.name = 'classifier' THEN bpnn_predict(m.model, t)
            ELSE bpnn_predict(m.model, ARRAY[t.x1, t.x2, t.x3, t.x4]) END AS predicted,
       CASE WHEN m.name = 'regressor' THEN bpnn_predict_value(m.model, t)
            WHEN m.name = 'classifier' THEN
                (bpnn_predict_proba(m.model, t))[array_position(bpnn_classes(m.model), bpnn_predict(m.model, t))]
            ELSE (bpnn_predict_proba(m.model, ARRAY[t.x1, t.x2, t.x3, t.x4]))
                 [array_position(bpnn_classes(m.model), bpnn_predict(m.model, ARRAY[t.x1, t.x2, t.x3, t.x4]))] END AS p
FROM explain_models m, explain_syn t
WHERE m.name <> 'iris' AND t.i % 20 = 0;
SELECT name, count(*) AS rows, min(e->>'method') AS method, min(e->>'output') AS output,
       min(e->>'baseline') AS baseline,
       bool_and(e->>'class' IS NOT DISTINCT FROM predicted) AS class_is_bpnn_predict,
       bool_and(abs((e->>'prediction')::float8 - p) <= 1e-5 * greatest(1, abs(p))) AS prediction_matches,
       bool_and(abs(s.sum - ((e->>'prediction')::float8 - (e->>'baseline_prediction')::float8))
                <= 1e-4 * abs((e->>'prediction')::float8 - (e->>'baseline_prediction')::float8)
                   + 1e-12 * (1 + abs((e->>'prediction')::float8))) AS complete,
       bool_and(abs(abs(s.sum - ((e->>'prediction')::float8 - (e->>'baseline_prediction')::float8))
                    - (e->>'completeness_error')::float8) <= 1e-9) AS error_reported,
       bool_and((e->>'steps')::int BETWEEN 32 AND 8192) AS steps_named
FROM explain_rows,
     LATERAL (SELECT sum((c->>'contribution')::float8) AS sum
              FROM jsonb_array_elements(e->'contributions') c) s
GROUP BY name ORDER BY name;
-- every input once, in the order of |contribution|, largest first
SELECT name, bool_and(n = f) AS every_input, bool_and(sorted) AS sorted_by_magnitude
FROM (SELECT name, i, count(*) AS n,
             max(jsonb_array_length(bpnn_info_features)) AS f,
             bool_and(ok) AS sorted
      FROM (SELECT r.name, r.i, c, ord,
                   bpnn_info((SELECT model FROM explain_models WHERE name = r.name))->'features' AS bpnn_info_features,
                   abs((c->>'contribution')::float8) <=
                       abs((lag(c, 1, c) OVER (PARTITION BY r.name, r.i ORDER BY ord)->>'contribution')::float8) AS ok
            FROM explain_rows r, jsonb_array_elements(r.e->'contributions') WITH ORDINALITY a(c, ord)) x
      GROUP BY name, i) y
GROUP BY name ORDER BY name;
-- over the rows, x1 and x2 contribute most (mean |contribution|), the
-- noise inputs far less
SELECT name, array_agg(feature ORDER BY feature) FILTER (WHERE rank <= 2) AS top_two,
       min(mean_abs) FILTER (WHERE rank <= 2) > 5 * max(mean_abs) FILTER (WHERE rank > 2) AS clear_margin
FROM (SELECT name, c->>'feature' AS feature, avg(abs((c->>'contribution')::float8)) AS mean_abs,
             row_number() OVER (PARTITION BY name ORDER BY avg(abs((c->>'contribution')::float8)) DESC) AS rank
      FROM explain_rows, jsonb_array_elements(e->'contributions') c GROUP BY 1, 2) s
GROUP BY name ORDER BY name;
-- the value of each input is the row's: a one-hot input 0 or 1
SELECT e->'contributions' @> jsonb_build_array(jsonb_build_object('feature', 'x1', 'value', t.x1)) AS x1_value,
       e->'contributions' @> jsonb_build_array(jsonb_build_object('feature', 'color=' || t.color, 'value', 1)) AS one_hot_value,
       e->'contributions' @> jsonb_build_array(jsonb_build_object('feature', 'v[2]', 'value', t.v[2])) AS array_value
FROM explain_rows r JOIN explain_syn t USING (i) WHERE r.name = 'classifier' AND i = 20;

-- The regressor of y = 3 x1 - 2 x2: the contributions of x1 and x2 come
-- near 3 (x1 - mean x1) and -2 (x2 - mean x2), the rest near 0
SELECT abs((c1->>'contribution')::float8 - 3 * ((c1->>'value')::float8 - avg_x1)) < 0.1 AS x1_near_3,
       abs((c2->>'contribution')::float8 + 2 * ((c2->>'value')::float8 - avg_x2)) < 0.1 AS x2_near_minus_2
FROM explain_rows r,
     LATERAL (SELECT c FROM jsonb_array_elements(r.e->'contributions') c WHERE c->>'feature' = 'x1') a(c1),
     LATERAL (SELECT c FROM jsonb_array_elements(r.e->'contributions') c WHERE c->>'feature' = 'x2') b(c2),
     (SELECT avg(x1) AS avg_x1, avg(x2) AS avg_x2 FROM explain_syn) m
WHERE r.name = 'regressor' AND r.i = 40;

-- At the baseline (the training means) nothing contributes
SELECT model AS s FROM explain_models WHERE name = 'softmax' \gset
SELECT (e->>'prediction')::float8 = (e->>'baseline_prediction')::float8 AS at_baseline,
       (SELECT bool_and((c->>'contribution')::float8 = 0) FROM jsonb_array_elements(e->'contributions') c) AS all_zero
FROM (SELECT bpnn_explain(:'s', ARRAY[avg(x1), avg(x2), avg(x3), avg(x4)]) AS e FROM explain_syn) s;

-- Every form of a row that bpnn_predict takes gives the same explanation
SELECT bpnn_explain(:'s', ARRAY[0.5, -0.2, 0.1, 0.3]) = bpnn_explain(:'s', '{"x1": 0.5, "x2": -0.2, "x3": 0.1, "x4": 0.3}'::jsonb) AS jsonb_form,
       bpnn_explain(:'s', ARRAY[0.5, -0.2, 0.1, 0.3]) = bpnn_explain(:'s', r) AS record_form,
       bpnn_explain(:'s', ARRAY[0.5, -0.2, 0.1, 0.3]) = bpnn_explain(:'s', '{"x1": 0.5, "x2": -0.2, "x3": 0.1, "x4": 0.3}') AS text_json_form,
       bpnn_explain(:'s', ARRAY[0.5, -0.2, 0.1, 0.3]) = bpnn_explain(:'s', '{0.5, -0.2, 0.1, 0.3}') AS text_array_literal,
       bpnn_explain(:'s', ARRAY[0.5, -0.2, 0.1, 0.3]) = bpnn_explain(:'s', ARRAY['0.5', '-0.2', '0.1', '0.3']) AS text_array_form
FROM (SELECT 0.5::float8 AS x1, -0.2::float8 AS x2, 0.1::float8 AS x3, 0.3::float8 AS x4) r;
-- the shape a reporting tool charts: one row per input
SELECT c->>'feature' AS feature, round((c->>'value')::numeric, 2) AS value,
       sign((c->>'contribution')::float8) AS sign
FROM jsonb_array_elements(bpnn_explain(:'s', ARRAY[0.5, -0.2, 0.1, 0.3])->'contributions') WITH ORDINALITY a(c, ord)
WHERE ord <= 2 ORDER BY ord;

-- iris: the class explained is the one bpnn_predict gives
SELECT model AS iris FROM explain_models WHERE name = 'iris' \gset
SELECT bpnn_explain(:'iris', ARRAY[5.1, 3.5, 1.4, 0.2])->>'class' AS setosa,
       bpnn_explain(:'iris', ARRAY[7.7, 3.0, 6.1, 2.3])->>'class' AS virginica,
       jsonb_array_length(bpnn_explain(:'iris', ARRAY[7.7, 3.0, 6.1, 2.3])->'contributions') AS inputs;

-- Errors and NULLs, as bpnn_predict's
SELECT bpnn_explain(:'s', ARRAY[0.5, -0.2, 0.1]);
SELECT bpnn_explain(:'s', ARRAY[[0.5, -0.2], [0.1, 0.3]]);
SELECT bpnn_explain(:'s', '{"x1": 0.5, "x2": -0.2, "x3": 0.1}'::jsonb);
SELECT bpnn_explain(:'s', '{"x1": 0.5, "x2": "high", "x3": 0.1, "x4": 0.3}'::jsonb);
SELECT bpnn_explain(:'s', ARRAY[0.5, -0.2, 'Infinity', 0.3]);
-- a model with a text column cannot take a float8[]
SELECT bpnn_explain(:'c', ARRAY[0.5, -0.2, 0.1, 0.3, 0, 0, 0, 0, 0]);
-- a model trained on other columns: the row lacks them
SELECT bpnn_explain(:'iris', '{"x1": 0.5, "x2": -0.2, "x3": 0.1, "x4": 0.3}'::jsonb);
-- not a model
SELECT bpnn_explain('{"not": "a model"}', ARRAY[0.5, -0.2, 0.1, 0.3]);
-- a regressor of a float8[] label (several outputs) is not explained
SELECT bpnn_explain(bpnn_train('explain_syn', 'v', features => '{x1,x2}', task => 'regression', epochs => 2),
                    ARRAY[0.5, -0.2]);
-- NULL model or row: NULL (STRICT); a NULL feature: NULL, as bpnn_predict,
-- unless the model imputes
SELECT bpnn_explain(NULL, ARRAY[0.5, -0.2, 0.1, 0.3]) IS NULL AS null_model,
       bpnn_explain(:'s', NULL::float8[]) IS NULL AS null_row,
       bpnn_explain(:'s', ARRAY[0.5, NULL, 0.1, 0.3]) IS NULL AS null_feature,
       bpnn_predict(:'s', ARRAY[0.5, NULL, 0.1, 0.3]) IS NULL AS as_bpnn_predict;
SELECT (e->>'completeness_error')::float8 <= 1e-4 * abs((e->>'prediction')::float8 - (e->>'baseline_prediction')::float8)
                                              + 1e-12 * (1 + abs((e->>'prediction')::float8)) AS imputed_row_complete,
       e->'contributions' @> '[{"feature": "x2", "contribution": 0}]' AS imputed_input_contributes_nothing
FROM (SELECT bpnn_explain(bpnn_train('explain_syn', 'label', features => '{x1,x2,x3,x4}', missing => 'impute', epochs => 20),
                          ARRAY[0.5, NULL, 0.1, 0.3]) AS e) s;
-- the labels bpnn_predict has: STRICT PARALLEL SAFE for every form,
-- IMMUTABLE but for the record forms, which are STABLE (sql/rows.sql says why)
SELECT count(*) AS forms,
       bool_and(provolatile = CASE WHEN pg_get_function_identity_arguments(oid) LIKE '%record%' THEN 's' ELSE 'i' END
                AND proisstrict AND proparallel = 's') AS labels
FROM pg_proc WHERE proname = 'bpnn_explain';
-- IMMUTABLE is true: the numbers do not follow extra_float_digits (they
-- did, as float8out writes them), so the jsonb is the same in every session
SET extra_float_digits = 0;
CREATE TEMP TABLE explain_digits AS SELECT bpnn_explain(:'s', ARRAY[0.5, -0.2, 0.1, 0.3]) AS e;
RESET extra_float_digits;
SELECT e = bpnn_explain(:'s', ARRAY[0.5, -0.2, 0.1, 0.3]) AS same_in_every_session FROM explain_digits;
-- a model whose output overflows float8 (weights near float4's end, a
-- target scale of 1e300): a clear error, not a JSON syntax error about
-- "Infinity"
SELECT model AS r FROM explain_models WHERE name = 'regressor' \gset
SELECT bpnn_explain(jsonb_set(jsonb_set(j, '{weights}',
                                        (SELECT jsonb_agg((SELECT jsonb_agg(3e38) FROM jsonb_array_elements(l)))
                                         FROM jsonb_array_elements(j->'weights') l)),
                              '{target,scale}', '[1e300]')::bpnn_model,
                    '{"x1": 0.5, "x2": -0.2, "x3": 0.1, "x4": 0.3, "color": "red", "v": [0.1, 0.2]}'::jsonb)
FROM bpnn_model_to_jsonb(:'r') j;
-- bpnn_importance of that model (target scale 1): its outputs are infinite,
-- so every importance is NaN, and NaN sorts last (the comparison was no
-- order with NaN, and put the columns in reverse)
SELECT feature, importance, metric
FROM bpnn_model_to_jsonb(:'r') j,
     bpnn_importance(jsonb_set(j, '{weights}',
                               (SELECT jsonb_agg((SELECT jsonb_agg(3e38) FROM jsonb_array_elements(l)))
                                FROM jsonb_array_elements(j->'weights') l))::bpnn_model,
                     'explain_syn', 'y', 1);

-- bpnn_evaluate of that model: its figures are infinite, and JSON has no
-- Infinity, so they are null (the document was invalid JSON, an error)
SELECT e->'rmse' AS rmse, e->'mae' AS mae, e->'rows_used' AS rows_used
FROM bpnn_model_to_jsonb(:'r') j,
     bpnn_evaluate(jsonb_set(j, '{weights}',
                             (SELECT jsonb_agg((SELECT jsonb_agg(3e38) FROM jsonb_array_elements(l)))
                              FROM jsonb_array_elements(j->'weights') l))::bpnn_model,
                   'explain_syn', 'y') e;
DROP VIEW explain_syn_view, explain_syn_tenfold;
DROP TABLE explain_rows, explain_importance, explain_models, explain_syn;
