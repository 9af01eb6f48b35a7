-- The data set fixtures (test/fixtures): each suite includes those it uses,
-- so any suite runs alone.  This one loads them all and checks their sizes.
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/wine.sql
\i test/fixtures/breast_cancer.sql
\i test/fixtures/digits_pixels.sql
\i test/fixtures/pima.sql
\i test/fixtures/glass.sql
\i test/fixtures/credit.sql
\i test/fixtures/try.sql
\set ECHO all
SELECT 'iris' AS name, count(*) FROM iris
UNION ALL SELECT 'wine', count(*) FROM wine
UNION ALL SELECT 'breast_cancer', count(*) FROM breast_cancer
UNION ALL SELECT 'digits', count(*) FROM digits
UNION ALL SELECT 'pima', count(*) FROM pima
UNION ALL SELECT 'glass', count(*) FROM glass
UNION ALL SELECT 'credit', count(*) FROM credit;
-- folds: stratified, so each class is spread over all ten
SELECT label, count(*), count(DISTINCT fold) AS folds FROM iris_cv GROUP BY label ORDER BY label;
SELECT count(*), min(array_length(pixels, 1)), max(array_length(pixels, 1)) FROM digits_pixels;
-- including a fixture again loads nothing twice
\set ECHO none
\i test/fixtures/iris.sql
\i test/fixtures/digits_pixels.sql
\set ECHO all
SELECT (SELECT count(*) FROM iris) AS iris, (SELECT count(*) FROM digits_pixels) AS digits_pixels;
SELECT try('SELECT 1'), try('SELECT 1/0');
