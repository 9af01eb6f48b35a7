-- Loads the real data sets the later suites use (see test/load_data.sql).
\set ECHO none
\set QUIET on
\i test/load_data.sql
\set QUIET off
\set ECHO all
SELECT 'iris' AS name, count(*) FROM iris
UNION ALL SELECT 'wine', count(*) FROM wine
UNION ALL SELECT 'breast_cancer', count(*) FROM breast_cancer
UNION ALL SELECT 'digits', count(*) FROM digits
UNION ALL SELECT 'pima', count(*) FROM pima
UNION ALL SELECT 'glass', count(*) FROM glass;
-- digits again, its 64 pixels as one array column: wide data's natural form
CREATE TABLE digits_pixels AS
SELECT ARRAY[pixel_0_0, pixel_0_1, pixel_0_2, pixel_0_3, pixel_0_4, pixel_0_5, pixel_0_6, pixel_0_7,
             pixel_1_0, pixel_1_1, pixel_1_2, pixel_1_3, pixel_1_4, pixel_1_5, pixel_1_6, pixel_1_7,
             pixel_2_0, pixel_2_1, pixel_2_2, pixel_2_3, pixel_2_4, pixel_2_5, pixel_2_6, pixel_2_7,
             pixel_3_0, pixel_3_1, pixel_3_2, pixel_3_3, pixel_3_4, pixel_3_5, pixel_3_6, pixel_3_7,
             pixel_4_0, pixel_4_1, pixel_4_2, pixel_4_3, pixel_4_4, pixel_4_5, pixel_4_6, pixel_4_7,
             pixel_5_0, pixel_5_1, pixel_5_2, pixel_5_3, pixel_5_4, pixel_5_5, pixel_5_6, pixel_5_7,
             pixel_6_0, pixel_6_1, pixel_6_2, pixel_6_3, pixel_6_4, pixel_6_5, pixel_6_6, pixel_6_7,
             pixel_7_0, pixel_7_1, pixel_7_2, pixel_7_3, pixel_7_4, pixel_7_5, pixel_7_6, pixel_7_7]::float4[] AS pixels,
       label
FROM digits_cv ORDER BY n;
SELECT count(*), min(array_length(pixels, 1)) FROM digits_pixels;
-- try(statement): the later suites show an error as SQLSTATE: message
CREATE FUNCTION try(statement text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	EXECUTE statement;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$f$;
