-- Limits met by ordinary data get a specific SQLSTATE before any work is
-- wasted, and scoring under bpnn.memory_limit scores every row or says why
-- not (issue 12, items 4 and 6).
-- Uses digits_pixels and try() (test/fixtures).
\set ECHO none
\i test/fixtures/digits_pixels.sql
\i test/fixtures/try.sql
\set ECHO all

-- ---------------------------------------------------------------------------
-- Scoring under a small bpnn.memory_limit: every row, or a clear error
-- ---------------------------------------------------------------------------
CREATE TABLE il_model AS SELECT bpnn_train('digits_pixels', 'label', hidden => '{8}', epochs => 3) AS m;
SELECT bpnn_evaluate(m, 'digits_pixels', 'label') -> 'rows_used' AS rows_used_in_memory FROM il_model;
SET bpnn.memory_limit = '64kB';
-- the 1,797 rows of 64 float4 take 460 kB: not one row is scored in part
SELECT try($$SELECT bpnn_evaluate(m, 'digits_pixels', 'label') FROM il_model$$) AS evaluate;
SELECT try($$SELECT sum(count) FROM il_model, bpnn_confusion(m, 'digits_pixels', 'label')$$) AS confusion;
SELECT try($$SELECT * FROM bpnn_cross_validate('digits_pixels', 'label', folds => 3, hidden => '{4}', epochs => 1)$$)
       AS cross_validate;
-- a table that fits (100 rows: 26 kB) is scored whole
CREATE TABLE il_head AS SELECT * FROM digits_pixels LIMIT 100;
SELECT bpnn_evaluate(m, 'il_head', 'label') -> 'rows_used' AS rows_used,
       (SELECT sum(count) FROM bpnn_confusion(m, 'il_head', 'label')) AS confusion_rows
FROM il_model;
RESET bpnn.memory_limit;

-- ---------------------------------------------------------------------------
-- One row wider than bpnn.memory_limit: said so (it was "no usable rows")
-- ---------------------------------------------------------------------------
CREATE TABLE il_wide AS
SELECT array_fill(g::float8, ARRAY[20000]) AS pixels, g % 2 AS label FROM generate_series(1, 4) g;
SET bpnn.memory_limit = '64kB';
SELECT try($$SELECT bpnn_train('il_wide', 'label', epochs => 1)$$) AS wide_row;
RESET bpnn.memory_limit;

-- ---------------------------------------------------------------------------
-- Names a model cannot hold: refused by the scan, before any epoch
-- ---------------------------------------------------------------------------
-- a 9,999-byte text value: its one-hot input "v=..." has 10,001 bytes
CREATE TABLE il_long_value AS
SELECT CASE WHEN g = 7 THEN repeat('x', 9999) ELSE 'v' || g % 3 END AS v, g::float8 AS x, g % 2 AS label
FROM generate_series(1, 20) g;
SELECT try($$SELECT bpnn_train('il_long_value', 'label', epochs => 1000000)$$) AS one_hot_name;
-- 10,000 bytes minus the column name and '=' is still accepted
UPDATE il_long_value SET v = repeat('x', 9998) WHERE length(v) = 9999;
SELECT jsonb_array_length(bpnn_info(bpnn_train('il_long_value', 'label', epochs => 1)) -> 'features') AS features_at_the_limit;
-- (a label longer than 10,000 bytes: the labels suite, on every path)

DROP TABLE il_model, il_head, il_wide, il_long_value;
